"""Region validity and successors from CBS code descriptions: the real code list, and generated descriptions in
every form the real list uses (dissolved into one or several, renamed, formed, start date, none at all)."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from ea_pipelines.reference.region_history import RegionValidity, parse_validity
from ea_pipelines.settings import DEFAULT_SNAPSHOT_DIR

CODE_LIST = json.loads((DEFAULT_SNAPSHOT_DIR / "03759ned" / "codes-RegioS.json").read_text(encoding="utf-8"))["value"]


def test_the_real_code_list() -> None:
    by_code = {c["Identifier"]: parse_validity(c["Description"]) for c in CODE_LIST}
    municipalities = {code: v for code, v in by_code.items() if code.startswith("GM")}
    dissolved = {code: v for code, v in municipalities.items() if v.valid_to}
    # every dissolved municipality names a successor that is itself in the list, and ended after it began
    assert len(dissolved) > 400
    assert all(v.successor in by_code for v in dissolved.values())
    assert all(v.valid_from is None or v.valid_from < v.valid_to for v in dissolved.values())
    # known merges: Appingedam, Delfzijl and Loppersum into Eemsdelta on 1 January 2021
    for old in ("GM0003", "GM0010", "GM0024"):
        assert by_code[old] == RegionValidity(by_code[old].valid_from, dt.date(2021, 1, 1), "GM1979")
    assert by_code["GM1979"].valid_from == dt.date(2021, 1, 1) and by_code["GM1979"].valid_to is None
    # a rename ends the old code and starts the new one on the same day
    assert (by_code["GM0749"].valid_to, by_code["GM0749"].successor) == (by_code["GM1724"].valid_from, "GM1724")
    # the current municipalities (those with a 2024 population in the capture) all exist on 1 January 2024
    rows = json.loads((DEFAULT_SNAPSHOT_DIR / "03759ned" / "observations-page-1.json").read_text())["value"]
    current = {r["RegioS"] for r in rows if r["Perioden"] == "2024JJ00" and r["RegioS"].startswith("GM")
               and r["Value"] is not None}
    assert all(municipalities[c].exists_on(dt.date(2024, 1, 1)) for c in current)
    # provinces and the country have no stated history
    assert by_code["PV23"] == by_code["NL01"] == RegionValidity()


def _moved(name: str, code: str, people: int | None) -> str:
    tail = f"\n... 120 hectare met 40 woningen en {people} inwoners" if people is not None else ""
    return f"- {name} ({code}),{tail}"


SUCCESSORS = [[("Eemsdelta", "GM1979", 11496)], [("Noord", "GM2001", 300), ("Zuid", "GM2002", 9000)],
              [("Een", "GM2003", 500), ("Twee", "GM2004", 500)], [("Zonder", "GM2005", None)]]
STARTS = [None, "Begindatum 01-12-1913", "Begindatum voor 1830", "Ontstaan per 01-01-1994, ontvangen van:\n"
          "- Elders (GM0999),\n... 5 hectare met 1 woningen en 2 inwoners"]
NEWLINES = ["\n", "\r\n"]


@pytest.mark.parametrize(("successors", "start", "newline"), list(itertools.product(SUCCESSORS, STARTS, NEWLINES)))
def test_generated_dissolutions(successors, start, newline) -> None:
    parts = ["Grenswijziging per 01-01-2019, ontvangen van:\n" + _moved("Buur", "GM0888", 12),
             "Opgeheven per 01-01-2022, overgegaan naar:\n" + "\n".join(_moved(*s) for s in successors)]
    if start:
        parts.append(start)
    text = "\n\n".join(parts).replace("\n", newline)
    got = parse_validity(text)
    most = max(successors, key=lambda s: s[2] or 0)  # a tie: the first listed
    expected_from = {None: None, "Begindatum voor 1830": None}.get(start, dt.date(1913, 12, 1) if start and
                                                                   "1913" in start else dt.date(1994, 1, 1))
    assert got == RegionValidity(expected_from, dt.date(2022, 1, 1), most[1])
    assert got.exists_on(dt.date(2021, 12, 31)) and not got.exists_on(dt.date(2022, 1, 1))


@pytest.mark.parametrize("newline", NEWLINES)
def test_generated_renames(newline) -> None:
    old = parse_validity(f"Naamswijziging per 01-01-2016,{newline}nieuwe naam: Nieuw (GM1900){newline}")
    new = parse_validity(f"Naamswijziging per 01-01-2016,{newline}oude naam: Oud (GM0100){newline}{newline}"
                         f"Begindatum 01-05-1950{newline}")
    assert old == RegionValidity(None, dt.date(2016, 1, 1), "GM1900")
    assert new == RegionValidity(dt.date(2016, 1, 1), None, None)


@pytest.mark.parametrize("text", [None, "", ".", "CR = COROP-gebied", "Opgeheven per 31-02-2021, overgegaan naar:\n"
                                  "- Nergens (GM0001),", "Begindatum 99-99-9999", "\x00" * 50, "Opgeheven" * 10_000])
def test_descriptions_that_state_nothing_usable_give_an_open_validity(text) -> None:
    """An impossible date gives no validity (and then no successor) rather than a wrong one."""
    assert parse_validity(text) == RegionValidity()
