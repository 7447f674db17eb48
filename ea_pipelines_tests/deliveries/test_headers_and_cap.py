"""Header aliases from the catalogue, in any case and spacing, for every column of every delivery type; and the
cap of 50 problems in a rejection."""

from __future__ import annotations

import datetime as dt

import pytest

from ea_pipelines.catalogue.deliveries import DeliveryCatalogue, DeliveryType, load_delivery_catalogue
from ea_pipelines.deliveries.messages import rejection_text
from ea_pipelines.deliveries.problems import Rejected
from ea_pipelines.deliveries.validate import MAX_PROBLEMS, parse_delivery
from ea_pipelines.reference.regions import RegionIndex
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE
from ea_pipelines_tests.deliveries.helpers import csv_bytes

TODAY = dt.date(2026, 11, 30)
CATALOGUE: DeliveryCatalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
REGIONS = RegionIndex.from_code_list()

#: the catalogue's example row of each type, and what it must become (written out by hand)
EXPECTED = {
    "twents_fonds_vouchers": {"period": "2024JJ00", "municipality_code": "GM0141", "vouchers_issued": 118},
    "ikbindr_labels": {"reference_date": dt.date(2024, 12, 31), "municipality_code": "GM0141",
                       "labelled_companies": 42},
    "mkb_ranking": {"edition_year": "2024JJ00", "municipality_code": "GM0141", "overall_rank": 57,
                    "municipalities_ranked": 300, "score_satisfaction_pillar": 6.4, "score_image": 6.1,
                    "score_communication_policy": 5.9, "score_price_quality": 6.0, "satisfaction_score": 6.6},
    "uwv_spanningsindicator": {"quarter": "2024KW03", "area": "Twente", "indicator_value": 1.35,
                               "vacancies": 5120, "short_ww_benefits": 3790},
    "kennispunt_twente": {"indicator_code": "groenblauw_waardering", "region_code": "GM0141", "period": "2024JJ00",
                          "value": 7.2, "unit": "cijfer", "source_note": "Inwonerspanel Almelo, najaar 2024"},
    "programme_efforts": {"goal_nr": 2, "effort": "Organiseren van netwerkbijeenkomsten", "status": "lopend",
                          "period": "2025KW02",
                          "explanation": "Twee bijeenkomsten met ondernemers op bedrijventerrein Westerdok.",
                          "result_count": 2, "result_unit": "bijeenkomsten"},
    "qualitative_contributions": {"goal_nr": 3, "title": "Van magazijn naar CNC-operator",
                                  "body": "Dankzij de scholingscheque kon ik de opleiding naast mijn werk volgen.",
                                  "author": "Programmateam EA", "contribution_date": dt.date(2025, 6, 15),
                                  "image": "foto_cnc_operator.jpg"},
}


def spellings(alias: str) -> list[str]:
    """How a partner may write a header: as given, shouting with spaces and padding, with hyphens."""
    return [alias, f"  {alias.replace('_', ' ').upper()} ", alias.replace("_", "-").title()]


def file_with(dtype: DeliveryType, headers: dict[str, str]) -> bytes:
    header = ";".join(headers.get(c.name, c.header) for c in dtype.columns)
    return csv_bytes(header + "\n" + ";".join(c.example for c in dtype.columns) + "\n")


def record(dtype: DeliveryType, data: bytes) -> dict[str, object]:
    frame = parse_delivery(dtype, "levering.csv", data, REGIONS, today=TODAY).frame
    assert len(frame) == 1
    row = frame.drop(columns="source_row").iloc[0].to_dict()
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


ALIAS_CASES = [(d.name, c.name, spelling) for d in CATALOGUE.types for c in d.columns for a in c.aliases
               for spelling in spellings(a)]


def test_every_type_has_aliases_to_test() -> None:
    assert {d for d, _, _ in ALIAS_CASES} == set(EXPECTED) and len(ALIAS_CASES) >= 3 * 15


@pytest.mark.parametrize("dtype_name", sorted(EXPECTED))
def test_the_example_row_with_the_template_headers(dtype_name: str) -> None:
    dtype = CATALOGUE.get(dtype_name)
    assert record(dtype, file_with(dtype, {})) == EXPECTED[dtype_name]


@pytest.mark.parametrize("dtype_name,column,header", ALIAS_CASES,
                         ids=[f"{d}-{c}-{h.strip()}" for d, c, h in ALIAS_CASES])
def test_an_alias_header_reads_the_same_column(dtype_name: str, column: str, header: str) -> None:
    dtype = CATALOGUE.get(dtype_name)
    assert record(dtype, file_with(dtype, {column: header})) == EXPECTED[dtype_name]


@pytest.mark.parametrize("dtype_name", sorted(EXPECTED))
def test_all_aliases_at_once(dtype_name: str) -> None:
    dtype = CATALOGUE.get(dtype_name)
    headers = {c.name: c.aliases[-1].upper() for c in dtype.columns if c.aliases}
    assert record(dtype, file_with(dtype, headers)) == EXPECTED[dtype_name]


def test_vouchers_with_the_short_aliases() -> None:
    data = csv_bytes("Jaar;Gemeentecode;Aantal\n2023;Almelo;60\n2023;GM0153;1.440\n")
    frame = parse_delivery(CATALOGUE.get("twents_fonds_vouchers"), "v.csv", data, REGIONS, today=TODAY).frame
    assert frame[["period", "municipality_code", "vouchers_issued"]].values.tolist() == [
        ["2023JJ00", "GM0141", 60], ["2023JJ00", "GM0153", 1440]]


BAD_ROWS = [  # (row for year y, problems per row, the first row's message as the partner reads it)
    ("{y};GM0141;twaalf", 1, "Rij 2, kolom 'aantal_scholingscheques': 'twaalf' is geen getal"),
    ("{y};GM0141;-5", 1, "Rij 2, kolom 'aantal_scholingscheques': -5 is negatief; alleen 0 of meer is toegestaan"),
    ("{y};GM0141;", 1, "Rij 2, kolom 'aantal_scholingscheques': lege cel; hier is een waarde verplicht"),
    ("{y};GM9999;5", 1, "Rij 2, kolom 'gemeente': 'GM9999' is geen bekende CBS-gemeentecode"),
    ("{y};GM9999;twaalf", 2, "Rij 2, kolom 'gemeente': 'GM9999' is geen bekende CBS-gemeentecode"),
]


@pytest.mark.parametrize("template,per_row,first", BAD_ROWS, ids=[t for t, _, _ in BAD_ROWS])
def test_at_most_50_problems_are_listed(template: str, per_row: int, first: str) -> None:
    """80 bad rows (rows 2-81, one year each so no key repeats): the list stops at the row that brings it to
    50 problems and says the rest was not checked."""
    assert MAX_PROBLEMS == 50
    body = "".join(template.format(y=y) + "\n" for y in range(1940, 2020))
    data = csv_bytes("periode;gemeente;aantal_scholingscheques\n" + body)
    with pytest.raises(Rejected) as err:
        parse_delivery(CATALOGUE.get("twents_fonds_vouchers"), "veel_fouten.csv", data, REGIONS, today=TODAY)
    problems = [str(p) for p in err.value.problems]
    last_row = 1 + 50 // per_row  # 1 problem a row: rows 2-51; 2 a row: rows 2-26
    assert len(problems) == 51
    assert problems[0] == first
    assert problems[-1] == "Meer dan 50 problemen; de rest is niet gecontroleerd"
    assert {int(p.split(",")[0].removeprefix("Rij ")) for p in problems[:-1]} == set(range(2, last_row + 1))
    letter = rejection_text(CATALOGUE.get("twents_fonds_vouchers"), "veel_fouten.csv", err.value.problems,
                            dt.datetime(2026, 11, 30, 9, 15))
    assert f"- Rij {last_row}, " in letter and f"- Rij {last_row + 1}," not in letter
    assert "- Meer dan 50 problemen; de rest is niet gecontroleerd\n" in letter
