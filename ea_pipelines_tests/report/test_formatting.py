"""Dutch number formatting in the report."""

import pytest

from ea_pipelines.report.formatting import decimals_for, fmt_change, fmt_number, fmt_value, source_text


@pytest.mark.parametrize("value,decimals,expected", [
    (74317, 0, "74.317"), (431.4218, 1, "431,4"), (1234567.891, 2, "1.234.567,89"), (-29, 0, "-29"),
    (0.5, 0, "0"), (None, 1, "–"), (float("nan"), 1, "–"),
])
def test_fmt_number(value, decimals, expected) -> None:
    assert fmt_number(value, decimals) == expected


def test_units_choose_decimals_and_suffix() -> None:
    assert fmt_value(47.0, "procent") == "47,0%"
    assert fmt_value(3.84, "hectare") == "3,8 ha"
    assert fmt_value(2.2, "ratio") == "2,20"
    assert fmt_value(57, "positie") == "57"
    assert fmt_change(-29, "positie") == "-29" and fmt_change(1.5, "cijfer") == "+1,5"


@pytest.mark.parametrize("values,expected", [
    ([100.0, 102.0, 104.0], 0), ([100.5, 102.0, 103.5, 105.0], 1), ([0.0, 0.01, 0.02], 2), ([0.25, 0.5], 2),
    ([-2.0, 0.0, 2.0], 0), ([1234567.0], 0), ([], 0),
])
def test_decimals_for_shows_every_tick_exactly(values, expected) -> None:
    assert decimals_for(values) == expected


@pytest.mark.parametrize("source,table,expected", [
    ("CBS 70072ned", "70072ned", "CBS 70072ned"),
    ("CBS 70072ned (bijstand) / CBS 03759ned (bevolking)", "70072ned / 03759ned",
     "CBS 70072ned (bijstand) / CBS 03759ned (bevolking)"),
    ("CBS 85969NED", "85969ned", "CBS 85969NED"),
    ("MKB-Nederland / Lexnova (levering mkb_ranking)", "voorbeeld_mkb_ranking.csv",
     "MKB-Nederland / Lexnova (levering mkb_ranking) (voorbeeld_mkb_ranking.csv)"),
    ("CBS 70072ned", "70072ned / 03759ned", "CBS 70072ned (03759ned)"),
    ("UWV", None, "UWV"),
])
def test_source_names_each_table_once(source, table, expected) -> None:
    assert source_text(source, table) == expected


def test_no_negative_zero() -> None:
    assert fmt_number(-0.04, 0) == "0" and fmt_number(-0.04, 1) == "0,0" and fmt_number(-0.06, 1) == "-0,1"
