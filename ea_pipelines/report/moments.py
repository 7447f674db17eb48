"""The three report moments of the plan (section 6.1) and the period each one covers.

The municipality's planning and control cycle reports to the council three times a year. Each moment has a
reference date (peildatum); a moment covers the months since the previous moment's reference date:

=======================  ==================  =======================  ====================================
moment                   reference date      covers                   previous moment
=======================  ==================  =======================  ====================================
voorjaarsrapportage Y    30 April Y          1 January - 30 April Y   jaarverantwoording Y-1 (31 Dec Y-1)
najaarsrapportage Y      31 August Y         1 May - 31 August Y      voorjaarsrapportage Y (30 April Y)
jaarverantwoording Y     31 December Y       the calendar year Y      (covers the whole year)
=======================  ==================  =======================  ====================================

Default (no moment given): the latest moment whose period has ended on the report date, so January-April
give the jaarverantwoording of the year before, May-August the voorjaarsrapportage, September-December
the najaarsrapportage. A moment given without a year is its latest ended instance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MOMENTS = ("voorjaarsrapportage", "najaarsrapportage", "jaarverantwoording")
TITLES = {"voorjaarsrapportage": "Voorjaarsrapportage", "najaarsrapportage": "Najaarsrapportage",
          "jaarverantwoording": "Jaarverantwoording"}
#: (month, day) of each moment's reference date
REFERENCE = {"voorjaarsrapportage": (4, 30), "najaarsrapportage": (8, 31), "jaarverantwoording": (12, 31)}


class MomentError(ValueError):
    """An unknown moment or a year out of range."""


@dataclass(frozen=True)
class ReportMoment:
    kind: str
    year: int
    start: dt.date  # first day covered
    end: dt.date  # reference date (peildatum), last day covered

    @property
    def title(self) -> str:
        return f"{TITLES[self.kind]} {self.year}"

    @property
    def previous_reference(self) -> dt.date:
        """The reference date of the moment before: what is new is new since then."""
        return self.start - dt.timedelta(days=1)

    @property
    def previous(self) -> ReportMoment:
        """The moment whose reference date is :attr:`previous_reference` (what was reported before this one)."""
        ref = self.previous_reference
        return moment(next(k for k, md in REFERENCE.items() if md == (ref.month, ref.day)), ref.year)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def moment(kind: str, year: int) -> ReportMoment:
    if kind not in MOMENTS:
        raise MomentError(f"unknown report moment {kind!r}; choose one of {', '.join(MOMENTS)}")
    if not 1900 < year < 3000:
        raise MomentError(f"year {year} is out of range")
    month, day = REFERENCE[kind]
    end = dt.date(year, month, day)
    start = {"voorjaarsrapportage": dt.date(year, 1, 1), "najaarsrapportage": dt.date(year, 5, 1),
             "jaarverantwoording": dt.date(year, 1, 1)}[kind]
    return ReportMoment(kind, year, start, end)


def latest_ended(kind: str, today: dt.date) -> ReportMoment:
    """The latest instance of ``kind`` whose reference date is on or before ``today``."""
    this_year = moment(kind, today.year)
    return this_year if this_year.end <= today else moment(kind, today.year - 1)


def default_moment(today: dt.date) -> ReportMoment:
    """The latest moment whose period has ended on ``today`` (see the module docstring)."""
    return max((latest_ended(k, today) for k in MOMENTS), key=lambda m: m.end)


def resolve(kind: str | None, year: int | None, today: dt.date) -> ReportMoment:
    """A moment from what the user gave: nothing (the default), a kind, or a kind and a year."""
    if kind is None:
        if year is not None:
            raise MomentError("a year needs a moment (voorjaarsrapportage, najaarsrapportage, jaarverantwoording)")
        return default_moment(today)
    return moment(kind, year) if year is not None else latest_ended(kind, today)


def check_as_of(as_of: dt.date | None) -> None:
    """A report as of a date shows what was known then: a date after today (the real date, the clock of the
    warehouse's load times) is not known yet."""
    if as_of is not None and as_of > dt.date.today():
        raise MomentError(f"as-of date {as_of.isoformat()} is in the future (today is {dt.date.today().isoformat()})")
