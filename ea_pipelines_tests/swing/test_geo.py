"""Which CBS municipality a Swing GeoItem is: a generated corpus of code forms (case, padding, vintages, other
levels), names matched to the bundled CBS code list, and the error that names what could not be mapped."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from ea_pipelines.catalogue.swing import geo_prefix
from ea_pipelines.reference.region_history import parse_validity
from ea_pipelines.reference.regions import DEFAULT_CODE_LIST
from ea_pipelines.swing.errors import SwingGeoCodeError
from ea_pipelines.swing.geo import EXAMPLES, FORMS, map_geo_items, municipality_code

NUMBERS = (3, 14, 141, 153, 1700, 1774, 1959, 9999)
VINTAGES = ("", "16", "18", "2018", "2024")


def _spellings(n: int) -> list[str]:
    """Every municipal spelling of CBS municipality number ``n``."""
    numbers = {str(n), f"{n:04d}"} | ({f"{n:03d}"} if n < 1000 else set())
    out = [f"GM{n:04d}", f"gm{n:04d}", f"Gm{n:04d}", *numbers]
    for vintage, number, level in itertools.product(VINTAGES, sorted(numbers), ("gemeente", "Gemeente", "GEMEENTE")):
        out.append(f"{level}{vintage}_{number}")
    return out + [f"  {s}\t" for s in out[:3]]


MUNICIPAL = [(code, f"GM{n:04d}") for n in NUMBERS for code in _spellings(n)]

OTHER_LEVELS = ("provincie", "Provincie", "provincie2024", "res", "regio", "gewest", "wijk", "buurt", "corop",
                "arbeidsmarktregio", "veiligheidsregio", "ggd", "land", "gemeentes", "gm", "deelgemeente")
NOT_MUNICIPAL = (
    [f"{level}_{n}" for level in OTHER_LEVELS for n in (1, 17, 23, 141)]
    + [f"GM{n}" for n in (1, 14, 141)]  # CBS codes always have four digits
    + ["00141", "GM00141", "gemeente_00141", "gemeente2024_44021", "gemeente2024_10000"]  # five digits: not CBS
    + ["0", "0000", "GM0000", "gemeente_0", "gemeente2024_0000"]  # no municipality has number 0
    + ["gemeente2_141", "gemeente202_141", "gemeente20245_141", "gemeente__141", "gemeente-141", "gemeente 141",
       "GM-0141", "GM 0141", "141a", "a141", "+141", "-141", "14.1", "1_41", "0x8d", "PV23", "NL01", "CR18", ""]
    + ["١٤١", "GM٠١٤١", "gemeente_１４１"]  # non-ASCII digits
)


@pytest.mark.parametrize(("code", "expected"), MUNICIPAL)
def test_municipal_spellings_become_the_cbs_code(code: str, expected: str) -> None:
    assert municipality_code(code) == expected


@pytest.mark.parametrize("code", NOT_MUNICIPAL)
def test_other_spellings_and_levels_are_no_municipality(code: str) -> None:
    assert municipality_code(code) is None


def test_the_corpora_are_what_they_claim() -> None:
    assert len(MUNICIPAL) > 200 and len({c for c, _ in MUNICIPAL}) == len(MUNICIPAL)
    assert not {c for c, _ in MUNICIPAL} & set(NOT_MUNICIPAL)


@pytest.mark.parametrize(("level", "prefix"), [("gemeente", "GM"), ("gemeente16", "GM"), ("gemeente2024", "GM"),
                                               ("provincie", None), ("gemeente202", None), ("Gemeente", None),
                                               ("gemeente_2024", None), ("res", None)])
def test_geo_levels_with_a_vintage(level: str, prefix: str | None) -> None:
    assert geo_prefix(level) == prefix


def _code_list() -> list[dict]:
    return json.loads(DEFAULT_CODE_LIST.read_text(encoding="utf-8"))["value"]


def test_every_existing_municipality_is_found_by_its_cbs_name_under_an_opaque_code() -> None:
    existing = {r["Identifier"]: r["Title"] for r in _code_list() if r["Identifier"].startswith("GM")
                and parse_validity(r.get("Description")).valid_to is None}
    items = [(f"id-{i}", title) for i, title in enumerate(existing.values())]
    mapping = map_geo_items("gemeente", items, where="var")
    assert len(existing) > 300
    assert [mapping[c] for c, _ in items] == list(existing)


@pytest.mark.parametrize(("name", "expected"), [
    ("Almelo", "GM0141"), ("almelo", "GM0141"), ("  ALMELO ", "GM0141"),
    ("Hengelo", "GM0164"),  # Hengelo (Gld.) was dissolved in 2005: the existing Hengelo (O.) wins
    ("Hengelo (O.)", "GM0164"), ("Utrecht", "GM0344"), ("Groningen", "GM0014"), ("'s-Gravenhage", "GM0518"),
    ("Súdwest-Fryslân", "GM1900"), ("Sudwest-Fryslan", "GM1900"),
])
def test_names_are_matched_to_cbs_municipality_names(name: str, expected: str) -> None:
    assert map_geo_items("gemeente", [("7f00a1", name)], where="var") == {"7f00a1": expected}


def test_codes_beat_names_and_other_levels_are_never_matched_by_name() -> None:
    assert map_geo_items("gemeente", [("gemeente_153", "Almelo")], where="v") == {"gemeente_153": "GM0153"}
    for code, name in [("provincie_26", "Utrecht"), ("res_17", "Twente"), ("provincie2024_20", "Groningen")]:
        with pytest.raises(SwingGeoCodeError, match=re.escape(code)):
            map_geo_items("gemeente", [("141", "Almelo"), (code, name)], where="v")


def test_what_cannot_be_mapped_is_named_with_a_few_examples_and_the_count() -> None:
    unknown = [(f"x{i}", f"Atlantis {i}") for i in range(8)]
    items = [("141", "Almelo"), ("gemeente_153", "Enschede"), *unknown, ("res_17", "Twente")]
    with pytest.raises(SwingGeoCodeError) as err:
        map_geo_items("gemeente", items, where="kp_test_var")
    message = str(err.value)
    assert message.startswith("kp_test_var: 9 of the 11 GeoItems of geo level 'gemeente'")
    named = re.findall(r"'(x\d|res_17)'", message)
    assert len(named) == EXAMPLES and named == [c for c, _ in unknown[:EXAMPLES]]
    assert FORMS in message  # the forms that are read


def test_two_items_of_one_municipality_are_refused() -> None:
    with pytest.raises(SwingGeoCodeError, match="'141' and 'GM0141' .* both municipality GM0141"):
        map_geo_items("gemeente", [("141", "Almelo"), ("GM0141", "Almelo")], where="v")
    with pytest.raises(SwingGeoCodeError, match="both municipality GM0141"):
        map_geo_items("gemeente", [("gemeente_141", "Almelo"), ("id9", "Almelo")], where="v")
    with pytest.raises(SwingGeoCodeError, match="GeoItem 'id9' of geo level 'gemeente' appears twice"):
        map_geo_items("gemeente", [("id9", "Almelo"), ("id9", "Almelo")], where="v")
