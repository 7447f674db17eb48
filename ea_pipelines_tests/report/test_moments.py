"""Report moments: each picks the right window, and the default follows the date (expectations by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from ea_pipelines.report.moments import MomentError, default_moment, moment, resolve

D = dt.date


@pytest.mark.parametrize("kind,year,start,end,previous", [
    ("voorjaarsrapportage", 2026, D(2026, 1, 1), D(2026, 4, 30), D(2025, 12, 31)),
    ("najaarsrapportage", 2026, D(2026, 5, 1), D(2026, 8, 31), D(2026, 4, 30)),
    ("jaarverantwoording", 2025, D(2025, 1, 1), D(2025, 12, 31), D(2024, 12, 31)),
    ("voorjaarsrapportage", 2024, D(2024, 1, 1), D(2024, 4, 30), D(2023, 12, 31)),  # leap year: no 29 April
])
def test_each_moment_covers_its_window(kind, year, start, end, previous) -> None:
    m = moment(kind, year)
    assert (m.start, m.end, m.previous_reference) == (start, end, previous)
    assert m.covers(start) and m.covers(end)
    assert not m.covers(start - dt.timedelta(days=1)) and not m.covers(end + dt.timedelta(days=1))


def test_spring_and_autumn_cover_the_months_since_the_previous_moment() -> None:
    """Consecutive moments of a year leave no gap and do not overlap; the year's account covers all of it."""
    spring, autumn, year = (moment(k, 2026) for k in ("voorjaarsrapportage", "najaarsrapportage",
                                                       "jaarverantwoording"))
    assert autumn.start == spring.end + dt.timedelta(days=1)
    assert spring.start == moment("jaarverantwoording", 2025).end + dt.timedelta(days=1)
    assert (year.start, year.end) == (D(2026, 1, 1), D(2026, 12, 31))


@pytest.mark.parametrize("today,kind,year", [
    (D(2026, 1, 1), "jaarverantwoording", 2025),
    (D(2026, 4, 29), "jaarverantwoording", 2025),
    (D(2026, 4, 30), "voorjaarsrapportage", 2026),  # the reference date itself: the period has ended
    (D(2026, 6, 15), "voorjaarsrapportage", 2026),
    (D(2026, 8, 30), "voorjaarsrapportage", 2026),
    (D(2026, 8, 31), "najaarsrapportage", 2026),
    (D(2026, 11, 27), "najaarsrapportage", 2026),
    (D(2026, 12, 30), "najaarsrapportage", 2026),
    (D(2026, 12, 31), "jaarverantwoording", 2026),
])
def test_default_is_the_latest_moment_whose_period_has_ended(today, kind, year) -> None:
    m = default_moment(today)
    assert (m.kind, m.year) == (kind, year)


@pytest.mark.parametrize("kind,year,today,expected", [
    ("najaarsrapportage", None, D(2026, 11, 27), ("najaarsrapportage", 2026)),
    ("najaarsrapportage", None, D(2026, 6, 1), ("najaarsrapportage", 2025)),  # 2026's has not ended yet
    ("jaarverantwoording", None, D(2026, 3, 1), ("jaarverantwoording", 2025)),
    ("voorjaarsrapportage", 2023, D(2026, 3, 1), ("voorjaarsrapportage", 2023)),
    (None, None, D(2026, 3, 1), ("jaarverantwoording", 2025)),
])
def test_resolve(kind, year, today, expected) -> None:
    m = resolve(kind, year, today)
    assert (m.kind, m.year) == expected


@pytest.mark.parametrize("kind,year", [("zomerrapportage", None), (None, 2025), ("najaarsrapportage", 12)])
def test_unknown_moments_are_refused(kind, year) -> None:
    with pytest.raises(MomentError):
        resolve(kind, year, D(2026, 11, 27))
