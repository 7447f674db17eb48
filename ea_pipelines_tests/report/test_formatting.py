"""Dutch number formatting in the report."""

import pytest

from ea_pipelines.report.formatting import fmt_change, fmt_number, fmt_value


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
