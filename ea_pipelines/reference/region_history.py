"""When a CBS region existed, and which region took it over: read from the region's own code description.

CBS describes each municipality code's history in its code list (``RegioSCodes`` in v4, ``RegioS`` in v3), in
Dutch, for example::

    Opgeheven per 01-01-2021, overgegaan naar:
    - Eemsdelta (GM1979),
    ... 2378 hectare met 6023 woningen en 11496 inwoners

    Ontstaan per 01-01-2021, ontvangen van: ...
    Naamswijziging per 01-01-2016,
    nieuwe naam: Bergeijk (GM1724)
    Begindatum 01-12-1913

A dissolved municipality's successor is the one that received most of its inhabitants (it may have been split).
Descriptions that say none of this (a province, a table without descriptions) give an open validity.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_DATE = r"(\d{2})-(\d{2})-(\d{4})"
_STARTED = re.compile(rf"^(?:Ontstaan per|Begindatum) {_DATE}", re.MULTILINE)
_DISSOLVED = re.compile(rf"^Opgeheven per {_DATE}, overgegaan naar:\s*\n(?P<to>(?:[-.].*\n?)*)", re.MULTILINE)
_RENAMED = re.compile(rf"^Naamswijziging per {_DATE},\s*\n(?P<names>(?:(?:oude|nieuwe) naam:.*\n?)+)", re.MULTILINE)
_MOVED_TO = re.compile(r"^- .*\((?P<code>[A-Z]{2}\d{2,4})\),?[ \t]*(?:\n|$)(?:\.\.\. .*?(?P<people>\d+) inwoners)?",
                       re.MULTILINE)
_NEW_NAME = re.compile(r"nieuwe naam: .*\((?P<code>[A-Z]{2}\d{2,4})\)")


@dataclass(frozen=True)
class RegionValidity:
    """``valid_from``: first day the region existed; ``valid_to``: first day it no longer did (None: open)."""

    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor: str | None = None

    def exists_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)


def _date(match: re.Match[str]) -> dt.date | None:
    day, month, year = (int(g) for g in match.groups()[:3])
    try:
        return dt.date(year, month, day)
    except ValueError:  # a description that is not what it seems: no validity rather than a wrong one
        return None


def parse_validity(description: str | None) -> RegionValidity:
    """The validity and successor a CBS region code description states (see the module docstring)."""
    text = (description or "").replace("\r\n", "\n").replace("\r", "\n")
    valid_from = valid_to = None
    successor = None
    started = [d for d in (_date(m) for m in _STARTED.finditer(text)) if d]
    if started:
        valid_from = max(started)
    for m in _RENAMED.finditer(text):
        new = _NEW_NAME.search(m.group("names"))
        day = _date(m)
        if new and day:  # this code ended with the rename; the new code carries on
            valid_to, successor = day, new.group("code")
        elif day and "oude naam:" in m.group("names"):  # this code started with the rename
            valid_from = max(valid_from, day) if valid_from else day
    dissolved = _DISSOLVED.search(text)
    if dissolved and _date(dissolved):
        valid_to = _date(dissolved)
        moved = [(int(p.group("people") or 0), p.group("code")) for p in _MOVED_TO.finditer(dissolved.group("to"))]
        if moved:
            successor = max(moved, key=lambda pc: pc[0])[1]  # first listed wins a tie
    return RegionValidity(valid_from, valid_to, successor)
