"""What a report moment adds to the figures (plan section 6.1), computed from the marts, never typed in.

- **Highlights**: what is new since the previous report moment's reference date: figures for new periods
  (``marts.indicator_first_seen``), revised figures (``marts.indicator_revision``), with the target's status.
- **Afwijkingen**: kernindicatoren that miss their target, moved the wrong way, or whose latest figure is
  older than the indicator's rhythm (``frequency``) allows on the moment's reference date.
- **Resultaten van onze inzet**: each effort's latest status of a period that has ended by the reference date,
  or of the moment's calendar year (the year's plan), never of a later period (``marts.programme_effort``).
- **Rijker verantwoorden**: qualitative contributions dated within the moment's period
  (``marts.qualitative_contribution``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from ea_pipelines.provenance import is_invented, weakest
from ea_pipelines.report.formatting import STATUS_LABEL, fmt_date, fmt_value, period_bounds, period_label
from ea_pipelines.report.marks import flagged
from ea_pipelines.report.moments import ReportMoment

if TYPE_CHECKING:
    from ea_pipelines.report.content import IndicatorSection

#: Months a figure may be old (from the end of its period to the reference date) before it is an afwijking:
#: the rhythm of the indicator plus the time its source needs to publish (CBS yearly figures: about a year).
RHYTHM_MONTHS = {"jaarlijks": 24, "tweejaarlijks": 36, "per kwartaal": 9, "maandelijks": 4, "per peildatum": 18}
DEFAULT_RHYTHM_MONTHS = 24
#: More new periods than this are summarised as "first t/m last".
LIST_AT_MOST = 4
EFFORT_STATUSES = ("gepland", "lopend", "afgerond", "vertraagd")


@dataclass
class Highlight:
    kind: str  # nieuw (new periods) or herzien (revised figures)
    indicator_code: str
    indicator: str
    text: str
    provenance: str | None = None  # the weakest class of the figures in text


@dataclass
class Deviation:
    indicator_code: str
    nr: int
    indicator: str
    reasons: list[str] = field(default_factory=list)  # each with the figures that show it


@dataclass
class Effort:
    effort: str
    status: str
    period: str  # label: 2025, 2025 K2, juni 2025
    explanation: str | None
    count: int | None
    count_unit: str | None
    source_file: str
    received_at: dt.datetime | None
    provenance: str | None = None  # of the delivered file (illustrative: an invented example)


@dataclass
class Contribution:
    title: str
    body: str
    author: str
    date: dt.date
    image: str | None
    source_file: str
    received_at: dt.datetime | None
    provenance: str | None = None  # of the delivered file (illustrative: an invented example)


def _none(v: object) -> object:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _since(frame: pd.DataFrame | None, column: str, moment: ReportMoment, now: dt.datetime) -> pd.DataFrame:
    """Rows whose ``column`` (a time) is after the previous moment's reference date and not after ``now``."""
    if frame is None or frame.empty:
        return pd.DataFrame()
    when = pd.to_datetime(frame[column])
    after = pd.Timestamp(moment.previous_reference + dt.timedelta(days=1))
    return frame[(when >= after) & (when <= pd.Timestamp(now))]


def _periods_text(codes: list[str], labels: dict[str, str]) -> str:
    names = [labels.get(c) or period_label(c) for c in codes]
    if len(names) > LIST_AT_MOST:
        return f"{names[0]} t/m {names[-1]} ({len(names)} perioden)"
    return ", ".join(names)


def read_highlights(sections: list[IndicatorSection], first_seen: pd.DataFrame | None, revisions: pd.DataFrame,
                    labels: dict[str, str], moment: ReportMoment, now: dt.datetime) -> list[Highlight]:
    """New periods and revisions of the headline region of each indicator since the previous moment."""
    new = _since(first_seen, "first_seen_at", moment, now)
    revised = _since(revisions, "changed_at", moment, now)
    seen: dict[tuple, pd.Timestamp] = {}
    if first_seen is not None:
        for key, when in zip(zip(first_seen["indicator_code"], first_seen["region_code"], first_seen["period_code"],
                                 strict=True), pd.to_datetime(first_seen["first_seen_at"]), strict=True):
            seen[key] = min(seen.get(key, when), when)
    out = []
    for s in sections:
        if s.region_code is None:
            continue
        if not new.empty:
            mine = new[(new["indicator_code"] == s.code) & (new["region_code"] == s.region_code)]
            codes = sorted(set(mine["period_code"]))
            if codes:
                shown = _provenance_of(s, codes)
                with_latest = s.latest_period_code in codes
                # the new periods carry the mark unless the figure named after them carries it
                text = "nieuwe cijfers voor " + (_periods_text(codes, labels) if with_latest
                                                 and is_invented(s.provenance) else
                                                 flagged(_periods_text(codes, labels), shown))
                if with_latest:
                    text += f"; nu {flagged(fmt_value(s.latest_value, s.unit), s.provenance)} ({s.latest_period})"
                    if s.kern and s.status in ("behaald", "niet behaald"):
                        text += f", streefwaarde {s.target_rule}: {STATUS_LABEL[s.status]}"
                out.append(Highlight("nieuw", s.code, s.name, text + ".", weakest(shown, s.provenance)))
        if not revised.empty:
            mine = revised[(revised["indicator_code"] == s.code) & (revised["region_code"] == s.region_code)]
            for r in mine.to_dict("records"):
                period = labels.get(r["period_code"]) or period_label(r["period_code"])
                old, new_ = _none(r.get("old_provenance")), _none(r.get("new_provenance"))
                out.append(Highlight("herzien", s.code, s.name,
                                     f"{period} herzien op {fmt_date(pd.Timestamp(r['changed_at']))}"
                                     f"{_after_previous(r, moment, seen)}: van "
                                     f"{flagged(fmt_value(_none(r['old_value']), s.unit), old)} ({r['old_status']}) "
                                     f"naar {flagged(fmt_value(_none(r['new_value']), s.unit), new_)} "
                                     f"({r['new_status']}).", weakest(old, new_)))
    return out


def _after_previous(revision: dict, moment: ReportMoment, seen: dict[tuple, pd.Timestamp]) -> str:
    """", na de <previous moment>" when the previous moment's report (as of its reference date) showed the
    figure: its period started by then and it was first published by then. This report says it was revised since."""
    ref = moment.previous_reference
    first = seen.get((revision["indicator_code"], revision["region_code"], revision["period_code"]))
    if first is None or first.date() > ref or period_bounds(revision["period_code"])[0] > ref:
        return ""
    return f", na de {moment.previous.title.lower()}"


def _provenance_of(s: IndicatorSection, codes: list[str]) -> str | None:
    """The weakest class of the headline region's figures for the periods ``codes``."""
    if s.series.empty or "provenance" not in s.series:
        return None
    own = s.series[(s.series["region"] == s.region_name) & s.series["period_code"].isin(codes)]
    return weakest(*own["provenance"].dropna().unique())


def _add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def read_deviations(sections: list[IndicatorSection], moment: ReportMoment) -> list[Deviation]:
    """Kernindicatoren that miss the target, move the wrong way, or are older than their rhythm allows."""
    out = []
    for s in (x for x in sections if x.kern):
        d = Deviation(s.code, s.nr, s.name)
        now_text = f"{fmt_value(s.latest_value, s.unit)} ({s.latest_period})"
        before = (f"{fmt_value(s.previous_value, s.unit)} ({s.previous_period})"
                  if s.previous_value is not None else None)
        judged = not is_invented(weakest(s.provenance, s.previous_provenance, s.status_provenance))
        if s.status == "niet behaald":
            reason = f"Streefwaarde {s.target_rule} niet gehaald: {now_text}"
            d.reasons.append(reason + (f", was {before}" if before and s.target_kind in ("rising", "falling")
                                       else "") + ".")
        elif (judged and s.latest_value is not None and s.previous_value is not None
              and s.higher_is_better is not None
              and s.target_kind in ("at_most", "at_least") and s.latest_value != s.previous_value
              and (s.latest_value > s.previous_value) != s.higher_is_better):
            word = "gestegen" if s.latest_value > s.previous_value else "gedaald"
            better = "hoger" if s.higher_is_better else "lager"
            d.reasons.append(f"De verkeerde kant op: {word} van {before} naar {now_text} ({better} is beter).")
        months = RHYTHM_MONTHS.get((s.frequency or "").strip(), DEFAULT_RHYTHM_MONTHS)
        if s.latest_value is None:
            d.reasons.append(f"Nog geen cijfers (ritme: {s.frequency or 'onbekend'}).")
        else:
            end = s.latest_period_end or (period_bounds(s.latest_period_code)[1] if s.latest_period_code else None)
            if end is not None and _add_months(end, months) < moment.end:
                d.reasons.append(f"Het laatste cijfer is van {s.latest_period}: ouder dan het ritme "
                                 f"({s.frequency}) toelaat; op {fmt_date(moment.end)} hoort er een cijfer te zijn "
                                 f"over een periode die eindigt na {fmt_date(_add_months(moment.end, -months))}.")
        if d.reasons:
            out.append(d)
    return out


def read_efforts(frame: pd.DataFrame | None, moment: ReportMoment) -> dict[int, list[Effort]]:
    """Per goal, each effort's latest status of the moment's own window: of a period that has ended by the
    reference date, or of the moment's calendar year (the year's plan and its standing)."""
    if frame is None or frame.empty:
        return {}
    rows = frame.assign(_start=[period_bounds(c)[0] for c in frame["period_code"]],
                        _end=[period_bounds(c)[1] for c in frame["period_code"]])
    year = (rows["_start"] == dt.date(moment.year, 1, 1)) & (rows["_end"] == dt.date(moment.year, 12, 31))
    rows = rows[(rows["_end"] <= moment.end) | year].sort_values(["_end", "_start", "period_code"], kind="stable")
    latest = rows.drop_duplicates(["strategic_goal_nr", "effort"], keep="last")
    out: dict[int, list[Effort]] = {}
    for r in latest.sort_values(["strategic_goal_nr", "effort"]).to_dict("records"):
        count = _none(r["result_count"])
        out.setdefault(int(r["strategic_goal_nr"]), []).append(Effort(
            effort=r["effort"], status=r["status"], period=period_label(r["period_code"]),
            explanation=_none(r["explanation"]), count=None if count is None else int(count),
            count_unit=_none(r["result_unit"]), source_file=r["source_file"],
            received_at=None if _none(r["received_at"]) is None else pd.Timestamp(r["received_at"]).to_pydatetime(),
            provenance=_none(r.get("provenance"))))
    return out


def read_contributions(frame: pd.DataFrame | None, moment: ReportMoment) -> dict[int, list[Contribution]]:
    """Per goal, the contributions dated within the moment's period, oldest first."""
    if frame is None or frame.empty:
        return {}
    dates = [pd.Timestamp(d).date() for d in frame["contribution_date"]]
    rows = frame.assign(_date=dates)
    rows = rows[[moment.covers(d) for d in dates]].sort_values(["strategic_goal_nr", "_date", "title"])
    out: dict[int, list[Contribution]] = {}
    for r in rows.to_dict("records"):
        out.setdefault(int(r["strategic_goal_nr"]), []).append(Contribution(
            title=r["title"], body=r["body"], author=r["author"], date=r["_date"], image=_none(r["image"]),
            source_file=r["source_file"],
            received_at=None if _none(r["received_at"]) is None else pd.Timestamp(r["received_at"]).to_pydatetime(),
            provenance=_none(r.get("provenance"))))
    return out
