"""Cell values the way Dutch partners write them."""

from __future__ import annotations

import datetime as dt

import pytest

from ea_pipelines.deliveries import values as v


@pytest.mark.parametrize("cell,expected", [
    ("1.234", 1234.0), ("1.234,5", 1234.5), ("12.345.678", 12_345_678.0), ("6,4", 6.4), ("7.5", 7.5),
    (" 42 ", 42.0), ("1\u00a0250", 1250.0), (3, 3.0), (6.25, 6.25), ("-3", -3.0), ("0,25", 0.25),
])
def test_numbers(cell: object, expected: float) -> None:
    assert v.to_number(cell) == expected


@pytest.mark.parametrize("cell", ["twaalf", "1,2,3", "12a", "", True])
def test_not_numbers(cell: object) -> None:
    with pytest.raises(ValueError, match="is geen getal"):
        v.to_number(cell)


def test_integer_refuses_fractions() -> None:
    with pytest.raises(ValueError, match="'6,5' is geen geheel getal"):
        v.to_integer("6,5")


@pytest.mark.parametrize("cell,kinds,expected", [
    ("2024", ("year",), "2024JJ00"), (2024, ("year",), "2024JJ00"), (2024.0, ("year", "quarter"), "2024JJ00"),
    ("2024JJ00", ("year",), "2024JJ00"), ("2024-K3", ("quarter",), "2024KW03"), ("2024 Q3", ("quarter",), "2024KW03"),
    ("Q1 2023", ("quarter",), "2023KW01"), ("2024KW03", ("quarter",), "2024KW03"), ("2024k2", ("quarter",), "2024KW02"),
    ("2024-07", ("month",), "2024MM07"), ("2024MM11", ("month",), "2024MM11"), ("7-2024", ("month",), "2024MM07"),
])
def test_periods(cell: object, kinds: tuple[str, ...], expected: str) -> None:
    assert v.to_period(cell, kinds) == expected


def test_period_of_the_wrong_kind() -> None:
    with pytest.raises(ValueError, match="'2024' is een jaar; verwacht kwartaal"):
        v.to_period("2024", ("quarter",))
    with pytest.raises(ValueError, match="'zomer 2024' is geen geldige periode"):
        v.to_period("zomer 2024", ("year", "quarter"))


@pytest.mark.parametrize("cell", ["31-12-2024", "31/12/2024", "2024-12-31", dt.datetime(2024, 12, 31),
                                  dt.date(2024, 12, 31)])
def test_dates(cell: object) -> None:
    assert v.to_date(cell) == dt.date(2024, 12, 31)


def test_period_start() -> None:
    assert v.period_start("2024KW03") == dt.date(2024, 7, 1)
    assert v.period_start("2024MM12") == dt.date(2024, 12, 1)
    assert v.period_start("2024JJ00") == dt.date(2024, 1, 1)


@pytest.mark.parametrize("text,expected", [
    ("1.234", {v.COMMA: 1234, v.DOT: 1.234}), ("1,234", {v.COMMA: 1.234, v.DOT: 1234}), ("0.875", {v.DOT: 0.875}),
    ("0,875", {v.COMMA: 0.875}), ("1.234,5", {v.COMMA: 1234.5}), ("1,234.5", {v.DOT: 1234.5}),
    ("12", {v.COMMA: 12, v.DOT: 12}),
    ("01.234", {v.DOT: 1.234}), ("1.23", {v.DOT: 1.23}), ("1,2,3", {}), ("1.234.5", {}), ("１２", {}),
])
def test_readings_in_each_convention(text: str, expected: dict) -> None:
    assert {c: float(x) for c, x in v.readings(text).items()} == expected


def test_a_column_decides_its_convention_from_values_that_read_one_way() -> None:
    assert v.decide_convention([(2, "1.234"), (3, "0.5")], integer=False, fallback=None).convention == v.DOT
    assert v.decide_convention([(2, "1.234"), (3, "7,5")], integer=False, fallback=None).convention == v.COMMA
    assert v.decide_convention([(2, "1.234")], integer=False, fallback=v.DOT).convention == v.DOT
    assert v.decide_convention([(2, "1.234")], integer=False, fallback=None).convention is None
    assert v.decide_convention([(2, "1.234")], integer=True, fallback=None).convention == v.COMMA  # 1.234 is no count
    mixed = v.decide_convention([(2, "7,5"), (3, "3"), (4, "3.25")], integer=False, fallback=None)
    assert mixed.convention is None and mixed.conflict == ((2, "7,5"), (4, "3.25"))


def test_integers_are_read_exactly_and_must_fit_bigint() -> None:
    assert v.to_integer("9007199254740993") == 9007199254740993  # 2**53 + 1: a float would say ...992
    assert v.to_integer("9.223.372.036.854.775.807") == 2**63 - 1
    with pytest.raises(ValueError, match="is te groot"):
        v.to_integer("9223372036854775808")
    with pytest.raises(ValueError, match="is te groot om als getal op te slaan"):
        v.to_number("1" * 400)
    with pytest.raises(ValueError, match="'nan' is geen getal"):
        v.to_number(float("nan"))


def test_messages_never_print_a_huge_value_whole() -> None:
    assert v.cell_text("9" * 309) == "999999999999…999999 (309 tekens)"
    assert v.fmt_number(1e308) == "1e+308"
    assert v.fmt_number(1234567.0) == "1.234.567"


@pytest.mark.parametrize("cell", ["２０２４", "٢٠٢٤", "2O24", "0000", "1899"])
def test_periods_only_with_ascii_digits_and_real_years(cell: str) -> None:
    with pytest.raises(ValueError, match="geen gewoon cijfer|geen geldige periode"):
        v.to_period(cell, ("year",))


@pytest.mark.parametrize("decimals", [0, 1, 2, 6])
def test_a_number_with_more_decimals_than_declared_is_refused(decimals: int) -> None:
    """Generated per precision: cells with up to ``decimals`` decimals (trailing zeros do not count) are read,
    one more is refused with a Dutch message saying how many are allowed."""
    for places in range(decimals + 3):
        digits = "".join(str((i * 7 + 3) % 9 + 1) for i in range(places))
        for text in (f"12,{digits}" if places else "12", f"12.{digits}" if places else "12"):
            convention = v.COMMA if "," in text or not places else v.DOT
            if places <= decimals:
                assert v.to_number(text, convention, decimals) == float(text.replace(",", "."))
            else:
                with pytest.raises(ValueError, match="te veel decimalen"):
                    v.to_number(text, convention, decimals)
    assert v.to_number("6,40", v.COMMA, 1) == 6.4  # a trailing zero is no decimal
    assert v.to_number(6.4, None, 1) == 6.4  # a spreadsheet number cell: its shortest form
    with pytest.raises(ValueError, match="hoogstens 1 decimaal toegestaan"):
        v.to_number("6,45", v.COMMA, 1)
    with pytest.raises(ValueError, match="geen decimalen toegestaan"):
        v.to_number("6,5", v.COMMA, 0)


def test_the_catalogue_declares_decimals_only_for_decimal_columns(tmp_path) -> None:  # noqa: ANN001
    from ea_pipelines.catalogue.cbs import CatalogueError
    from ea_pipelines.catalogue.deliveries import DEFAULT_DECIMALS, load_delivery_catalogue
    from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE

    catalogue = load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE)
    for dtype in catalogue.types:
        for col in dtype.columns:
            expected = {"integer": 0}.get(col.type, col.decimals if col.decimals is not None else DEFAULT_DECIMALS) \
                if col.type in ("integer", "decimal", "score") else None
            assert col.precision == expected, (dtype.name, col.name)
    assert catalogue.get("uwv_spanningsindicator").column("indicator_value").precision == 2
    # a decimal column also needs its range (ea_pipelines.numbers): given, so that decimals is what is refused
    for bad in ("decimals: 1, type: text", "decimals: 7, type: decimal, min: 0, max: 10",
                "decimals: true, type: decimal, min: 0, max: 10"):
        path = tmp_path / "d.yaml"
        path.write_text("deliveries:\n  t:\n    key: [a]\n    replace_by: [a]\n    columns:\n"
                        f"      - {{name: a, header: a, {bad}}}\n", encoding="utf-8")
        with pytest.raises(CatalogueError, match="decimals"):
            load_delivery_catalogue(path)
