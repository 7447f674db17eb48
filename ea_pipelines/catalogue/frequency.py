"""How often a source publishes (the catalogues' ``frequency``), as the window in which a new version is due.

A source is late (warn) when its last new version is older than one publication interval, and overdue
(fail) when it is older than the interval plus a grace period: CBS and partners rarely publish on the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DueWindow:
    warn: dt.timedelta  # one publication interval
    fail: dt.timedelta  # the interval plus grace

    @property
    def text(self) -> str:
        return f"new version expected within {self.warn.days} days, overdue after {self.fail.days} days"


#: frequency words as the catalogues write them (Dutch, lower case) -> (interval, grace)
INTERVALS: dict[str, tuple[dt.timedelta, dt.timedelta]] = {
    "per maand": (31 * DAY, 15 * DAY), "maandelijks": (31 * DAY, 15 * DAY),
    "per kwartaal": (92 * DAY, 46 * DAY), "kwartaal": (92 * DAY, 46 * DAY),
    "per halfjaar": (183 * DAY, 61 * DAY), "halfjaarlijks": (183 * DAY, 61 * DAY),
    "per jaar": (365 * DAY, 92 * DAY), "jaarlijks": (365 * DAY, 92 * DAY),
    "per twee jaar": (730 * DAY, 92 * DAY), "tweejaarlijks": (730 * DAY, 92 * DAY),
}


def due_window(frequency: str | None) -> DueWindow | None:
    """The window of a catalogue ``frequency`` (None when it is empty or not a regular interval)."""
    found = INTERVALS.get((frequency or "").strip().lower())
    if found is None:
        return None
    interval, grace = found
    return DueWindow(warn=interval, fail=interval + grace)
