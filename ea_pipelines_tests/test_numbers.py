"""The number rule (``ea_pipelines.numbers``) on the whole generated corpus, value by value and column-wise, and
through the CBS page reader: every refused value is named with its measure, region and period."""

from __future__ import annotations

import math
import random

import pytest

from ea_pipelines.cbs.errors import CbsNotANumber
from ea_pipelines.cbs.fetch import page_table
from ea_pipelines.cbs.readers import ObservationPage
from ea_pipelines.numbers import NumberRefused, json_number, number_column, parse_plain
from ea_pipelines_tests.corpus import numbers

TEXTS = numbers.texts()


def _try_float(text: str) -> float | Exception:
    try:
        return float(text)
    except ValueError as exc:
        return exc


def test_the_corpus_is_what_float_would_read() -> None:
    """The corpus is not a list of strings nobody reads: float() takes most of them (NaN, inf, 1_0, 1e999, １２)."""
    taken = [t for t in TEXTS if not isinstance(_try_float(t), Exception)]
    assert len(taken) >= 30 and {"1_0", "1e999", "１２", "NaN", "-Infinity"} <= set(taken)


@pytest.mark.parametrize("text", TEXTS, ids=TEXTS)
def test_a_text_outside_the_rule_is_refused(text: str) -> None:
    with pytest.raises(NumberRefused):
        parse_plain(text)
    values, refused = number_column([None, "1.5", text])
    assert values.to_pylist() == [None, 1.5, None] and refused.to_pylist() == [False, False, True]


@pytest.mark.parametrize("text,value", numbers.PLAIN.items(), ids=list(numbers.PLAIN))
def test_plain_numbers_are_read_exactly(text: str, value: float) -> None:
    assert parse_plain(text) == value
    values, refused = number_column([text, None])
    assert values.to_pylist() == [value, None] and refused is None


@pytest.mark.parametrize("sent", [math.nan, math.inf, -math.inf, True, False, 10 ** 400, [1], {"a": 1}],
                         ids=["nan", "inf", "-inf", "true", "false", "10**400", "list", "object"])
def test_a_json_value_that_is_no_finite_number_is_refused(sent: object) -> None:
    with pytest.raises(NumberRefused):
        json_number(sent)
    values, refused = number_column([1.0, sent, None, 2])
    assert values.to_pylist() == [1.0, None, None, 2.0] and refused.to_pylist() == [False, True, False, False]


def test_arrow_reads_text_exactly_as_the_value_by_value_rule() -> None:
    """Generated plain texts (long mantissas, exponents near the double's limits, zeros, signs): the column-wise
    reading (Arrow) gives the same double, and refuses the same texts, as the exact decimal reading."""
    rng = random.Random(7)
    texts = []
    for _ in range(3000):
        mantissa = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
        fraction = "." + digits if rng.random() < .6 else ""
        exponent = f"e{rng.randint(-340, 330)}" if rng.random() < .5 else ""
        texts.append(rng.choice(["", "-", "+"]) + mantissa + fraction + exponent)
    column, refused = number_column(texts)
    mask = refused.to_pylist() if refused is not None else [False] * len(texts)
    for text, got, bad in zip(texts, column.to_pylist(), mask, strict=True):
        try:
            expected = parse_plain(text)
        except NumberRefused:
            assert bad and got is None, text
        else:
            assert not bad and got == expected and math.copysign(1, got) == math.copysign(1, expected), text
    assert 0 < sum(mask) < len(texts)  # both kinds occur: overflow and underflow, and plain numbers


def test_json_numbers_pass_whole() -> None:
    values, refused = number_column([1, 2.5, None, -0.0, 2 ** 60])
    assert values.to_pylist() == [1.0, 2.5, None, -0.0, float(2 ** 60)] and refused is None


def _page(values: list[object], repeat: int = 1) -> ObservationPage:
    rows = len(values) // repeat
    return ObservationPage(
        measure_code=[f"M{i % repeat}" for i in range(len(values))],
        region_code=[f"GM{1000 + r:04d}  " for r in range(rows)],
        period_code=[f"{2000 + r}JJ00" for r in range(rows)],
        others={"Geslacht": ["T001038"] * rows},
        value=values, value_attribute=[None] * len(values), source_rows=rows, repeat=repeat)


@pytest.mark.parametrize("sent,shown", [*((t, repr(t)) for t in TEXTS), *((math.nan, "NaN"), (math.inf, "Infinity"),
                                                                         (-math.inf, "-Infinity"), (True, "True"))],
                         ids=[*TEXTS, "nan", "inf", "-inf", "true"])
def test_a_page_names_the_first_refused_value_and_counts_them(sent: object, shown: str) -> None:
    values: list[object] = [float(i) for i in range(12)]
    values[7] = values[10] = sent  # wide rows of three measures: row 2 (GM1002, 2002), measure M1
    with pytest.raises(CbsNotANumber) as err:
        page_table(_page(values, repeat=3), "85969NED", {})
    assert str(err.value) == (
        "85969NED: 2 values on this page are not a finite number (NaN, infinities, overflowing exponents such as "
        f"1e999, true/false and spellings such as 1_0, 0x10 or inf are refused); the first: {shown} for measure M1, "
        'region GM1002, period 2002JJ00, {"Geslacht": "T001038"}; refusing the load')


def test_a_page_of_json_numbers_is_checked_column_wise() -> None:
    """The v4 hot path stays columnar: 50 000 JSON numbers (a tenth null) are checked several times faster than the
    rule applied value by value in Python (the path only mixed pages take). Best of five runs each, so a busy
    machine does not decide it."""
    import time

    from ea_pipelines.numbers import _one_by_one

    rng = random.Random(1)
    values = tuple(None if i % 10 == 0 else rng.random() * 1e5 for i in range(50_000))

    def best(fn) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            fn(values)
            times.append(time.perf_counter() - started)
        return min(times)

    column, refused = number_column(values)
    assert refused is None and column.null_count == 5_000
    assert column.equals(_one_by_one(values)[0])
    assert best(number_column) * 3 < best(_one_by_one)
