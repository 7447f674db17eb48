"""The status of a CBS figure (definitief, voorlopig, nader voorlopig, onbekend), from what CBS says.

CBS states a figure's status in one of two places:

- a period's ``Status`` (v4 ``PeriodenCodes``, v3 ``Perioden``): "Definitief", "Voorlopig", "Nader voorlopig";
  it holds for every figure of that period;
- a period's ``Description``, where ``Status`` is null (real 70072ned): per topic, e.g. "Uitkomsten zijn
  voorlopig over:\\r\\nBedrijfsvestigingen\\r\\nWonen - Voorraad woningen ... Uitkomsten zijn nader voorlopig
  over:\\r\\nSociale zekerheid". A topic is the title of a measure group (v4 ``MeasureGroups``, v3 ``TopicGroup``
  data properties), with its parent groups before it ("Wonen - Voorraad woningen"), or of a measure.

Figures of a topic the Description names get that status. Figures it does not name are definitief only where
the table itself says so ("De cijfers in deze tabel zijn definitief tenzij ..." in its description); otherwise,
or when the Description names a topic that matches no group or measure of the table (the figure may belong to
it), their status is ``onbekend``. A null status never becomes definitief by default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DEFINITIEF, VOORLOPIG, NADER_VOORLOPIG, ONBEKEND = "definitief", "voorlopig", "nader voorlopig", "onbekend"
#: the statuses, weakest first: a figure combined from several takes the weakest of its parts
STATUSES = (ONBEKEND, VOORLOPIG, NADER_VOORLOPIG, DEFINITIEF)

#: "Uitkomsten zijn (nader) voorlopig over:", "Alle cijfers zijn voorlopig.", "De cijfers zijn definitief"
_HEADER = re.compile(
    r"(?P<all>\balle\s+)?\b(?:uitkomsten|cijfers|gegevens)\s+(?:zijn|is)\s+"
    r"(?P<status>nader\s+voorlopig|voorlopig|definitief)\b(?P<over>\s+(?:over|voor|van))?\s*:?",
    re.IGNORECASE)
#: the table's own rule: "De cijfers in deze tabel zijn definitief tenzij ..."
_TABLE_RULE = re.compile(r"\bzijn\s+definitief\s+tenzij\b", re.IGNORECASE)
#: a topic path's separator ("Wonen - Voorraad woningen"); a hyphen inside a word ("AOW-leeftijd") is no separator
_PATH_SEPARATOR = re.compile(r"\s+[-\u2013\u2014]\s+")
_BULLET = re.compile(r"^\s*(?:[-\u2013\u2022*\u00b7]|\d+[.)])\s+")


def weakest(*statuses: str | None) -> str:
    """The weakest of ``statuses``; a missing or unknown one makes the result onbekend."""
    if not statuses or any(s not in STATUSES for s in statuses):
        return ONBEKEND
    return min(statuses, key=STATUSES.index)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Notice:
    """What one period's Description says about its figures' status."""

    topics: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (status, topic path) in the order written
    whole: str | None = None  # "Alle uitkomsten zijn voorlopig": the status of every figure of the period

    @property
    def says_something(self) -> bool:
        return bool(self.topics) or self.whole is not None


def _topic_items(text: str, first_line: bool) -> list[str]:
    """The topics of one line of a list: bullets and trailing punctuation dropped; the header's own line may
    list several, separated by commas or semicolons."""
    parts = re.split(r"[;,]" if first_line else r";", text)
    out = []
    for part in parts:
        item = _BULLET.sub("", part).strip().rstrip(".;:,").strip()
        item = re.sub(r"^(?:en|and)\s+", "", item, flags=re.IGNORECASE)
        if item:
            out.append(item)
    return out


def parse_notice(description: str | None) -> Notice:
    """The statuses a period's ``Description`` states, per topic (see the module docstring).

    Robust to CRLF or LF, bullets ("- "), trailing ";" "." ",", topics on the header's own line, headers in
    any case and order, text before and after, and "Alle uitkomsten zijn voorlopig" for a whole period.
    """
    text = (description or "").replace("\r\n", "\n").replace("\r", "\n")
    headers = list(_HEADER.finditer(text))
    topics: list[tuple[str, tuple[str, ...]]] = []
    whole = None
    for i, h in enumerate(headers):
        status = " ".join(h.group("status").lower().split())
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        body = text[h.end():end]
        if not h.group("over"):  # "Alle uitkomsten zijn voorlopig.": the whole period
            whole = status if whole is None else weakest(whole, status)
            continue
        lines = body.split("\n")
        items: list[str] = []
        for n, line in enumerate(lines):
            if n > 0 and not line.strip() and items:
                break  # a blank line after the list ends it
            items += _topic_items(line, first_line=n == 0)
        topics += [(status, topic_path(item)) for item in items]
    return Notice(tuple(topics), whole)


def _norm(title: str) -> str:
    """A title for matching: case, accents, parenthetical notes ("(x 1 000)"), hyphens and spacing ignored."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[-\u2013\u2014_/'`\u2019.,;:]", " ", text)
    return " ".join(text.split())


def topic_path(topic: str) -> tuple[str, ...]:
    """A topic as matched: its segments ("Wonen - Voorraad woningen" -> ("wonen", "voorraad woningen"))."""
    return tuple(p for p in (_norm(s) for s in _PATH_SEPARATOR.split(topic)) if p)


def defined_by_table(description: str | None) -> bool:
    """The table says its figures are definitief unless a period or topic says otherwise."""
    return bool(_TABLE_RULE.search(description or ""))


@dataclass(frozen=True)
class MeasureGroup:
    id: str
    title: str
    parent_id: str | None


def measure_path(title: str, group_id: str | None, groups: Mapping[str, MeasureGroup]) -> tuple[str, ...]:
    """The normalised titles from the measure's outermost group down to the measure itself."""
    path = [_norm(title)]
    seen: set[str] = set()
    while group_id and group_id in groups and group_id not in seen:
        seen.add(group_id)
        group = groups[group_id]
        path.append(_norm(group.title))
        group_id = group.parent_id
    return tuple(reversed(path))


def _matches(topic: Sequence[str], path: Sequence[str]) -> int:
    """How specifically ``topic`` names something on ``path``: its last segment is a group or the measure on the
    path and its earlier segments are groups above that one, in order. The depth of that match (deeper is more
    specific), 0 when it does not match."""
    if not topic:
        return 0
    for k in range(len(path) - 1, -1, -1):
        if path[k] != topic[-1]:
            continue
        at = k
        for seg in reversed(topic[:-1]):
            at = next((j for j in range(at - 1, -1, -1) if path[j] == seg), -1)
            if at < 0:
                break
        if at >= 0:
            return k + 1
    return 0


def status_for(notice: Notice, path: Sequence[str], default: str) -> str:
    """The status of a figure of ``path`` in a period with ``notice``; ``default`` for a figure it does not name."""
    if notice.whole is not None:
        return notice.whole
    best, found = 0, []
    for status, topic in notice.topics:
        depth = _matches(topic, path)
        if depth > best:
            best, found = depth, [status]
        elif depth and depth == best:
            found.append(status)
    return weakest(*found) if found else default


def resolve(notice: Notice, paths: Mapping[str, Sequence[str]], table_definitief: bool) -> dict[str, str]:
    """Status per measure code of a period with a null ``Status`` and this ``notice``, ``paths`` being every
    measure of the table (not only those fetched), so that a topic is "unknown" only when nothing in the table
    carries its name."""
    known = [t for _, t in notice.topics if any(_matches(t, p) for p in paths.values())]
    unknown = len(known) < len(notice.topics)
    default = DEFINITIEF if table_definitief and not unknown else ONBEKEND
    return {code: status_for(notice, path, default) for code, path in paths.items()}


def needs_groups(descriptions: Iterable[tuple[str | None, str | None]]) -> bool:
    """Whether any period (status, description) leaves the status to topics, so the groups must be read."""
    return any(status is None and parse_notice(desc).topics for status, desc in descriptions)


@dataclass(frozen=True)
class PeriodInfo:
    code: str
    status: str | None  # CBS's Status as it came (None when null)
    description: str | None


@dataclass(frozen=True)
class MeasureInfo:
    code: str
    title: str
    group_id: str | None


def period_statuses(periods: Sequence[PeriodInfo], measures: Sequence[MeasureInfo],
                    groups: Mapping[str, MeasureGroup] | None, table_description: str | None
                    ) -> dict[str, str | dict[str, str]]:
    """Per period: the status of all its figures (CBS's ``Status``, or the Description's status for the whole
    period), or, where the Description names topics, the status per measure code. ``groups`` may be None only
    when no period needs them (:func:`needs_groups`). An unknown ``Status`` text is onbekend."""
    table_definitief = defined_by_table(table_description)
    paths = None
    out: dict[str, str | dict[str, str]] = {}
    for p in periods:
        raw = " ".join(str(p.status or "").split()).lower() or None
        if raw is not None:
            out[p.code] = raw if raw in STATUSES else ONBEKEND
            continue
        notice = parse_notice(p.description)
        if notice.whole is not None:
            out[p.code] = notice.whole
        elif not notice.topics:
            out[p.code] = DEFINITIEF if table_definitief else ONBEKEND
        else:
            if paths is None:
                paths = {m.code: measure_path(m.title, m.group_id, groups or {}) for m in measures}
            out[p.code] = resolve(notice, paths, table_definitief)
    return out
