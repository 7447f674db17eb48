"""Municipalities by code or name, from the real CBS code list."""

from __future__ import annotations

import pytest

from ea_pipelines.reference.regions import RegionIndex, RegionLookupError


@pytest.fixture(scope="module")
def regions() -> RegionIndex:
    return RegionIndex.from_code_list(preferred=frozenset({"GM0164"}))


@pytest.mark.parametrize("text,code", [("GM0141", "GM0141"), ("gm0141", "GM0141"), ("Almelo", "GM0141"),
                                       (" almelo ", "GM0141"), ("Hengelo (O.)", "GM0164"), ("Hengelo", "GM0164"),
                                       ("'s-Gravenhage", "GM0518"), ("Súdwest-Fryslân", "GM1900")])
def test_municipalities(regions: RegionIndex, text: str, code: str) -> None:
    assert regions.municipality(text) == code


def test_other_region_levels(regions: RegionIndex) -> None:
    assert [regions.region(c) for c in ("CR12", "PV23", "NL01", "Almelo")] == ["CR12", "PV23", "NL01", "GM0141"]


def test_unknown_and_ambiguous(regions: RegionIndex) -> None:
    with pytest.raises(RegionLookupError, match="'Almeloo' is geen bekende gemeente"):
        regions.municipality("Almeloo")
    with pytest.raises(RegionLookupError, match="'GM9999' is geen bekende CBS-gemeentecode"):
        regions.municipality("GM9999")
    no_preference = RegionIndex(regions.names)
    ambiguous = r"'Bergen' is niet eenduidig: bedoelt u Bergen \(NH\.\) \(GM0373\), Bergen \(L\.\) \(GM0893\)\?"
    with pytest.raises(RegionLookupError, match=ambiguous):
        no_preference.municipality("Bergen")
