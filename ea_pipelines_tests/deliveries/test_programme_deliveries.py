"""The programme team's own deliveries for the report moments: efforts and qualitative contributions.

Same strictness as the partner deliveries: lengths, allowed statuses, goal numbers, dates not in the future;
markup is accepted as text (the report escapes it) and never evaluated.
"""

from __future__ import annotations

import pytest

from ea_pipelines.catalogue.cbs import CatalogueError
from ea_pipelines.catalogue.deliveries import _column
from ea_pipelines_tests.deliveries.helpers import csv_bytes
from ea_pipelines_tests.deliveries.test_validate import catalogue, parse, refusal, regions  # noqa: F401

EFFORT_HEADER = "doel;inspanning;status;periode;toelichting;aantal;eenheid_aantal\n"
CONTRIBUTION_HEADER = "doel;titel;tekst;auteur;datum;afbeelding\n"


def contribution_row(title: str = "Titel", body: str = "Tekst", author: str = "Auteur",
                     day: str = "15-06-2025", goal: str = "3", image: str = "") -> str:
    return f"{goal};{title};{body};{author};{day};{image}\n"


def test_an_effort_file_is_read(catalogue, regions) -> None:  # noqa: F811
    data = csv_bytes(EFFORT_HEADER + "2;Netwerkbijeenkomsten;lopend;2025-K2;Twee bijeenkomsten;2;bijeenkomsten\n"
                     "1;Uitvoeringsagenda;Afgerond;2025;;;\n")
    frame = parse(catalogue, regions, "programme_efforts", "inzet.csv", data).frame
    assert frame["status"].tolist() == ["lopend", "afgerond"]  # the catalogue's spelling
    assert frame["period"].tolist() == ["2025KW02", "2025JJ00"]
    assert frame["result_count"].tolist()[0] == 2 and frame["explanation"].isna().tolist() == [False, True]


@pytest.mark.parametrize("row,message", [
    ("6;X;lopend;2025;;;\n", "6 is hoger dan toegestaan (maximaal 5)"),
    ("0;X;lopend;2025;;;\n", "0 is lager dan toegestaan (minimaal 1)"),
    ("2;X;klaar;2025;;;\n", "'klaar' is geen toegestane waarde; kies uit: gepland, lopend, afgerond, vertraagd"),
    ("2;X;lopend;2030-K1;;;\n", "ligt in de toekomst"),
    (f"2;{'x' * 201};lopend;2025;;;\n", "de tekst is 201 tekens lang; hoogstens 200 tekens toegestaan"),
    (f"2;X;lopend;2025;{'y' * 601};;\n", "de tekst is 601 tekens lang; hoogstens 600 tekens toegestaan"),
    ("2;X;lopend;2025;;-1;\n", "-1 is negatief"),
])
def test_effort_refusals(catalogue, regions, row: str, message: str) -> None:  # noqa: F811
    problems = refusal(catalogue, regions, "programme_efforts", "inzet.csv", csv_bytes(EFFORT_HEADER + row))
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize("column,limit", [("title", 120), ("body", 2000), ("author", 120), ("image", 200)])
def test_contribution_lengths_at_and_over_the_limit(catalogue, regions, column: str, limit: int) -> None:  # noqa: F811
    for length, accepted in ((limit, True), (limit + 1, False)):
        row = contribution_row(**{column: "é" * length})  # characters, not bytes
        data = csv_bytes(CONTRIBUTION_HEADER + row)
        if accepted:
            frame = parse(catalogue, regions, "qualitative_contributions", "q.csv", data).frame
            assert len(frame[column].iloc[0]) == limit
        else:
            problems = refusal(catalogue, regions, "qualitative_contributions", "q.csv", data)
            assert any(f"de tekst is {limit + 1} tekens lang; hoogstens {limit} tekens" in p for p in problems)


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "=HYPERLINK(\"http://x\")", "@SUM(A1)",
    "Tekst met ‘aanhalingstekens’ en een € teken",
])
def test_markup_in_a_contribution_is_kept_as_plain_text(catalogue, regions, text: str) -> None:  # noqa: F811
    data = csv_bytes(CONTRIBUTION_HEADER + contribution_row(body=text.replace('"', '""').join('""')))
    frame = parse(catalogue, regions, "qualitative_contributions", "q.csv", data).frame
    assert frame["body"].iloc[0] == text


def test_a_contribution_dated_in_the_future_is_refused(catalogue, regions) -> None:  # noqa: F811
    data = csv_bytes(CONTRIBUTION_HEADER + contribution_row(day="01-01-2031"))
    assert any("ligt in de toekomst" in p
               for p in refusal(catalogue, regions, "qualitative_contributions", "q.csv", data))


@pytest.mark.parametrize("raw", [
    {"name": "x", "header": "x", "type": "integer", "max_length": 10},
    {"name": "x", "header": "x", "type": "text", "max_length": 0},
    {"name": "x", "header": "x", "type": "text", "max_length": "veel"},
])
def test_max_length_is_for_text_and_positive(raw: dict) -> None:
    with pytest.raises(CatalogueError, match="max_length"):
        _column(raw, "deliveries.yaml: columns[0]")
