"""The pipeline's idea of today: the real date, or the date in ``EA_TODAY``.

Checks ("fresh", periods "not in the future"), delivery validation and the report are judged against this
date. ``EA_TODAY`` (ISO date) re-runs a past night's judgement, and lets the tests run at a fixed date so that
nothing in them expires as the calendar moves on. Audit timestamps (load and delivery logs, landing names)
always use the real clock.
"""

from __future__ import annotations

import datetime as dt
import os


def parse_today(raw: str) -> dt.date:
    """``EA_TODAY`` as a date; a clear error for anything but YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise ValueError(f"EA_TODAY={raw!r}: use a date as YYYY-MM-DD") from exc


def today() -> dt.date:
    raw = os.environ.get("EA_TODAY", "").strip()
    return parse_today(raw) if raw else dt.date.today()


def now() -> dt.datetime:
    """Local time of day on :func:`today` (the real moment when ``EA_TODAY`` is not set)."""
    real = dt.datetime.now()
    return dt.datetime.combine(today(), real.time())
