"""The status of CBS figures from what CBS says: period Status, or the topics a period's Description names.

The Description parser is run on a generated corpus of the ways CBS writes these notices (one list or both, in
either order, CRLF or LF, bullets, trailing punctuation, topics on the header's line, surrounding text, "Alle
uitkomsten zijn voorlopig"), and on the real 70072ned Descriptions.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest

from ea_pipelines.cbs import status
from ea_pipelines.cbs.status import (
    DEFINITIEF,
    NADER_VOORLOPIG,
    ONBEKEND,
    VOORLOPIG,
    MeasureGroup,
    MeasureInfo,
    PeriodInfo,
    measure_path,
    parse_notice,
    period_statuses,
    resolve,
    topic_path,
)
from ea_pipelines.devtools.synthetic import MEASURE_GROUPS_70072, REFERENCE_DIR

#: topics as CBS writes them, with the path they must parse to
TOPICS = {
    "Bedrijfsvestigingen": ("bedrijfsvestigingen",),
    "Wonen - Voorraad woningen": ("wonen", "voorraad woningen"),
    "Sociale zekerheid": ("sociale zekerheid",),
    "Milieu en bodemgebruik - Afval van huishoudens": ("milieu en bodemgebruik", "afval van huishoudens"),
    "uitkeringsontvangers": ("uitkeringsontvangers",),
    "Wonen - Gemiddelde WOZ waarde van woningen": ("wonen", "gemiddelde woz waarde van woningen"),
    "gediplomeerden naar woongemeente (schooljaar 2021/'22)": ("gediplomeerden naar woongemeente",),
    "Bijstand tot de AOW-leeftijd": ("bijstand tot de aow leeftijd",),
}
HEADERS = {VOORLOPIG: ("Uitkomsten zijn voorlopig over:", "uitkomsten zijn voorlopig over",
                      "Cijfers zijn voorlopig voor:"),
           NADER_VOORLOPIG: ("Uitkomsten zijn nader voorlopig over:", "UITKOMSTEN ZIJN NADER VOORLOPIG OVER:")}


def _listing(header: str, topics: list[str], style: int, nl: str) -> str:
    """One header with its topics, in one of the ways CBS lays them out."""
    if style == 0:  # one per line (70072ned since 2023)
        return header + nl + nl.join(topics) + nl
    if style == 1:  # bullets ending in ; and . (70072ned 2020-2022)
        return header + nl + nl.join(f"- {t}{'.' if i == len(topics) - 1 else ';'}" for i, t in enumerate(topics))
    if style == 2:  # on the header's own line, comma separated, a full stop at the end
        return f"{header} {', '.join(topics)}."
    return header + nl + nl.join(f"* {t}," for t in topics)  # other bullets, trailing commas


def corpus() -> list[tuple[str, dict[tuple[str, ...], str], str | None]]:
    """(description, topic path -> status, whole-period status) for generated notices."""
    rng = random.Random(21)
    names = list(TOPICS)
    cases = []
    for n, (which, style, nl, around) in enumerate(itertools.product(
            ("voorlopig", "nader", "both", "both_reversed", "none"), range(4), ("\r\n", "\n"), (False, True))):
        # topics without commas when they share the header's line
        pool = [t for t in names if "," not in t]
        picked = rng.sample(pool, 4)
        lists = {"voorlopig": [(VOORLOPIG, picked[:2])], "nader": [(NADER_VOORLOPIG, picked[:3])],
                 "both": [(VOORLOPIG, picked[:2]), (NADER_VOORLOPIG, picked[2:])],
                 "both_reversed": [(NADER_VOORLOPIG, picked[2:]), (VOORLOPIG, picked[:2])], "none": []}[which]
        parts = [_listing(HEADERS[st][n % len(HEADERS[st])], ts, style, nl) for st, ts in lists]
        text = (nl + nl).join(parts)
        if around:
            text = "Zie de toelichting bij de tabel." + nl + nl + text + (nl + nl + "Bron: CBS." if style != 2 else "")
        expected = {TOPICS[t]: st for st, ts in lists for t in ts}
        cases.append((text, expected, None))
    for text, whole in (("Alle uitkomsten zijn voorlopig.", VOORLOPIG),
                        ("Alle cijfers zijn nader voorlopig", NADER_VOORLOPIG),
                        ("De uitkomsten zijn voorlopig.\r\n", VOORLOPIG), ("Cijfers zijn definitief.", DEFINITIEF)):
        cases.append((text, {}, whole))
    return cases


@pytest.mark.parametrize("text,expected,whole", corpus())
def test_description_variants_parse_to_their_topics(text: str, expected: dict, whole: str | None) -> None:
    notice = parse_notice(text)
    assert {path: st for st, path in notice.topics} == expected
    assert len(notice.topics) == len(expected)  # nothing else read as a topic (the surrounding text, empty items)
    assert notice.whole == whole


def test_text_that_states_no_status_names_nothing() -> None:
    for text in ("", None, "Inclusief de gemeenten die per 1 januari zijn samengevoegd.", "Voorlopige indeling"):
        assert not parse_notice(text).says_something


def test_the_real_70072ned_descriptions() -> None:
    periods = json.loads((REFERENCE_DIR / "70072ned" / "codes-Perioden.json").read_bytes())["value"]
    notices = {p["Identifier"]: parse_notice(p["Description"]) for p in periods}
    assert all(p["Status"] is None for p in periods)
    assert (VOORLOPIG, ("bedrijfsvestigingen",)) in notices["2024JJ00"].topics
    assert (NADER_VOORLOPIG, ("sociale zekerheid",)) in notices["2024JJ00"].topics
    assert (NADER_VOORLOPIG, ("milieu en bodemgebruik", "afval van huishoudens")) in notices["2024JJ00"].topics
    assert notices["2026JJ00"].topics == ((VOORLOPIG, ("bedrijfsvestigingen",)),)
    assert (NADER_VOORLOPIG, ("uitkeringsontvangers",)) in notices["2020JJ00"].topics
    assert not notices["2019JJ00"].says_something
    for p in periods:  # every non-empty Description names a topic, under each header it has
        text = p["Description"]
        assert bool(notices[p["Identifier"]].topics) == bool(text)
        assert len({st for st, _ in notices[p["Identifier"]].topics}) == ("nader voorlopig" in text) + (
            "zijn voorlopig" in text)


GROUPS = {g: MeasureGroup(g, t, parent) for g, (t, parent) in MEASURE_GROUPS_70072.items()}


def _paths(*measures: tuple[str, str, str | None]) -> dict[str, tuple[str, ...]]:
    return {code: measure_path(title, group, GROUPS) for code, title, group in measures}


VESTIGINGEN = ("M000200_2", "Bedrijfsvestigingen totaal", "M000200")
BANEN = ("M000308_3", "Totaal banen", "M000308_2")
UITKERING = ("X033647", "Uitkeringsontvangers, totaal", "M000280_1")
BIJSTAND = ("90210_3", "Bijstand tot de AOW-leeftijd", "D007077")
VOORRAAD = ("D002935", "Voorraad op 1 januari", "M000297")
WOZ = ("M003039", "Gemiddelde WOZ-waarde van woningen", "M000205")
ALL = (VESTIGINGEN, BANEN, UITKERING, BIJSTAND, VOORRAAD, WOZ)


def test_a_named_group_covers_its_measures_and_those_of_its_subgroups() -> None:
    notice = parse_notice("Uitkomsten zijn voorlopig over:\r\nBedrijfsvestigingen\r\n\r\n"
                          "Uitkomsten zijn nader voorlopig over:\r\nSociale zekerheid\r\n")
    got = resolve(notice, _paths(*ALL), table_definitief=True)
    assert got == {"M000200_2": VOORLOPIG, "X033647": NADER_VOORLOPIG, "90210_3": NADER_VOORLOPIG,
                   "M000308_3": DEFINITIEF, "D002935": DEFINITIEF, "M003039": DEFINITIEF}


def test_a_path_names_the_subgroup_under_its_parent_only() -> None:
    notice = parse_notice("Uitkomsten zijn voorlopig over:\nWonen - Voorraad woningen\n\n"
                          "Uitkomsten zijn nader voorlopig over:\nWonen - Gemiddelde WOZ waarde van woningen\n")
    got = resolve(notice, _paths(*ALL), table_definitief=True)
    assert (got["D002935"], got["M003039"], got["M000200_2"]) == (VOORLOPIG, NADER_VOORLOPIG, DEFINITIEF)
    wrong_parent = parse_notice("Uitkomsten zijn voorlopig over:\nInkomen en vermogen - Voorraad woningen\n")
    assert resolve(wrong_parent, _paths(*ALL), table_definitief=True)["D002935"] != VOORLOPIG


def test_the_most_specific_topic_wins() -> None:
    notice = parse_notice("Uitkomsten zijn voorlopig over:\nSociale zekerheid\n\n"
                          "Uitkomsten zijn nader voorlopig over:\n"
                          "Sociale zekerheid - Uitkeringsontvangers - Bijstand\n")
    got = resolve(notice, _paths(*ALL), table_definitief=True)
    assert (got["90210_3"], got["X033647"]) == (NADER_VOORLOPIG, VOORLOPIG)


def test_an_unknown_topic_leaves_the_unnamed_measures_unknown() -> None:
    notice = parse_notice("Uitkomsten zijn voorlopig over:\n- gediplomeerden naar woongemeente;\n\n"
                          "Uitkomsten zijn nader voorlopig over:\n- uitkeringsontvangers.")
    got = resolve(notice, _paths(*ALL), table_definitief=True)
    assert got["X033647"] == got["90210_3"] == NADER_VOORLOPIG  # named: known
    assert {got[c] for c in ("M000200_2", "M000308_3", "D002935", "M003039")} == {ONBEKEND}


def test_without_the_tables_own_rule_an_unnamed_figure_is_unknown() -> None:
    notice = parse_notice("Uitkomsten zijn voorlopig over:\nBedrijfsvestigingen\n")
    got = resolve(notice, _paths(*ALL), table_definitief=False)
    assert got["M000200_2"] == VOORLOPIG and got["M000308_3"] == ONBEKEND


def test_a_measure_without_a_group_is_matched_by_its_title_or_unknown() -> None:
    paths = _paths(("A", "Bijstand tot de AOW-leeftijd", None), ("B", "Iets anders", "no-such-group"))
    notice = parse_notice("Uitkomsten zijn voorlopig over:\nBijstand tot de AOW-leeftijd\nOnbekend onderwerp\n")
    assert resolve(notice, paths, table_definitief=True) == {"A": VOORLOPIG, "B": ONBEKEND}


def test_period_statuses_never_default_to_definitief() -> None:
    measures = [MeasureInfo(*m) for m in ALL]
    periods = [PeriodInfo("2019JJ00", None, ""), PeriodInfo("2023JJ00", "Nader voorlopig", "ignored"),
               PeriodInfo("2024JJ00", None, "Uitkomsten zijn voorlopig over:\nBedrijfsvestigingen\n"),
               PeriodInfo("2025JJ00", None, "Alle uitkomsten zijn voorlopig."),
               PeriodInfo("2026JJ00", "Herzien", None)]
    rule = "De cijfers in deze tabel zijn definitief tenzij is aangegeven dat ze voorlopig zijn."
    with_rule = period_statuses(periods, measures, GROUPS, rule)
    without = period_statuses(periods, measures, GROUPS, "Een tabel zonder uitspraak over de status.")
    assert with_rule["2019JJ00"] == DEFINITIEF and without["2019JJ00"] == ONBEKEND
    assert with_rule["2023JJ00"] == without["2023JJ00"] == NADER_VOORLOPIG  # CBS's period Status holds
    assert with_rule["2024JJ00"]["M000200_2"] == VOORLOPIG and with_rule["2024JJ00"]["M000308_3"] == DEFINITIEF
    assert without["2024JJ00"]["M000308_3"] == ONBEKEND
    assert with_rule["2025JJ00"] == VOORLOPIG
    assert with_rule["2026JJ00"] == ONBEKEND  # a Status text that is none of the four


@pytest.mark.parametrize("parts,expected", [
    ((DEFINITIEF, DEFINITIEF), DEFINITIEF), ((DEFINITIEF, NADER_VOORLOPIG), NADER_VOORLOPIG),
    ((NADER_VOORLOPIG, VOORLOPIG), VOORLOPIG), ((VOORLOPIG, ONBEKEND), ONBEKEND), ((DEFINITIEF, None), ONBEKEND),
    ((DEFINITIEF, "herzien"), ONBEKEND)])
def test_weakest(parts: tuple, expected: str) -> None:
    assert status.weakest(*parts) == expected


def test_topic_path_ignores_case_notes_and_hyphen_spacing() -> None:
    assert topic_path("Wonen – Gemiddelde WOZ-waarde van woningen (x 1 000 euro)") == \
        ("wonen", "gemiddelde woz waarde van woningen")
    assert topic_path("Bijstand tot de AOW-leeftijd") == ("bijstand tot de aow leeftijd",)
