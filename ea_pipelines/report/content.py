"""What the council report says, read from the ``marts`` schema (and the programme's regions, which the
``kernindicatoren`` model joins when :mod:`ea_pipelines.report.vintage` runs it over the figures as known on a
date).

Each indicator becomes an :class:`IndicatorSection`: its latest value for the headline region, the target
and the judgement the marts made, where the figure came from, notes on provisional and revised figures,
and the series to chart (the programme's municipality against its peer group and the country).
Nothing here formats or draws; that is the renderers' job.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ea_pipelines import clock
from ea_pipelines.provenance import is_invented, weakest
from ea_pipelines.report.formatting import fmt_date, fmt_value
from ea_pipelines.report.moment_content import (
    Contribution,
    Deviation,
    Effort,
    Highlight,
    read_contributions,
    read_deviations,
    read_efforts,
    read_highlights,
)
from ea_pipelines.report.moments import ReportMoment, default_moment
from ea_pipelines.report.vintage import kern_sql, params, rows_known, series_sql
from ea_pipelines.settings import DEFAULT_SQL_DIR

#: Regions compared in the charts, in legend order (the municipality against its peer group and the country).
CHART_ROLES = ("municipality", "peer_corop", "country")
#: Units counted in absolute numbers: a municipality and the country differ by orders of magnitude, so their
#: charts show an index (first common period = 100) instead of the values.
ABSOLUTE_UNITS = {"aantal", "x 1.000"}
COMPARISON_ROLES = ("municipality", "peer_corop", "province", "country")
PROVISIONAL = {"voorlopig", "nader voorlopig"}
#: a figure whose status CBS does not settle (ea_pipelines.cbs.status): never shown as final
UNKNOWN_STATUS = "onbekend"
STALE_AFTER_YEARS = 2


@dataclass
class IndicatorSection:
    code: str
    nr: int
    name: str
    kern: bool
    goal_nr: int
    goal: str
    operational_goal: str | None
    unit: str
    target_rule: str | None
    #: the target status (marts.kernindicatoren.target_status): behaald, niet behaald, niet beoordeeld (rests on an
    #: invented figure), geen streefwaarde, geen vergelijking, geen data (context: context)
    status: str
    region_name: str | None
    latest_period: str | None
    latest_value: float | None
    value_status: str | None  # the CBS status of latest_value (marts.kernindicatoren.cbs_status)
    previous_period: str | None
    previous_value: float | None
    comparisons: dict[str, float] = field(default_factory=dict)  # region label -> value, same period
    source: str = ""
    source_table: str | None = None
    fetched_at: dt.datetime | None = None
    #: when the latest value was taken from its source (a replayed capture's own date); None when unknown
    captured_at: dt.datetime | None = None
    notes: list[str] = field(default_factory=list)
    #: region, programme_role, period_code, period_label, start_date, value, status, source, provenance
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    indexed: bool = False
    target_kind: str = "none"
    target_value: float | None = None
    higher_is_better: bool | None = None
    frequency: str | None = None
    region_code: str | None = None  # the headline region's code
    latest_period_code: str | None = None
    latest_period_end: dt.date | None = None
    # Provenance classes (ea_pipelines.provenance) of the figures shown; the series has a provenance column.
    provenance: str | None = None  # of latest_value
    #: when two sources gave latest_value (Kennispunt open data and a delivery): which was taken (Dutch)
    precedence_note: str | None = None
    previous_provenance: str | None = None
    comparison_provenance: dict[str, str | None] = field(default_factory=dict)  # region label -> class
    status_provenance: str | None = None  # weakest class of the figures the target status rests on

    @property
    def data_date(self) -> dt.datetime | None:
        """The date the figures are of: the capture's own date where known, else when fetched or received."""
        return self.captured_at or self.fetched_at

    @property
    def has_data(self) -> bool:
        return self.latest_value is not None and not self.series.empty

    @property
    def chart_provenance(self) -> str | None:
        """The weakest class of the points in the chart."""
        if self.series.empty or "provenance" not in self.series:
            return None
        return weakest(*self.series["provenance"].dropna().unique())

    @property
    def weakest_provenance(self) -> str | None:
        """The weakest class of every figure the section shows (values, comparisons, chart)."""
        return weakest(self.provenance, self.previous_provenance, *self.comparison_provenance.values(),
                       self.chart_provenance)

    @property
    def invented(self) -> bool:
        """True when any figure in the section is synthetic or illustrative: the report marks it."""
        return is_invented(self.weakest_provenance)


@dataclass
class Goal:
    nr: int
    title: str
    sections: list[IndicatorSection]
    efforts: list[Effort] = field(default_factory=list)  # Resultaten van onze inzet
    contributions: list[Contribution] = field(default_factory=list)  # Rijker verantwoorden


@dataclass
class ReportContent:
    generated_at: dt.datetime
    municipality: str
    goals: list[Goal]
    moment: ReportMoment | None = None
    highlights: list[Highlight] = field(default_factory=list)
    deviations: list[Deviation] = field(default_factory=list)
    as_of: dt.date | None = None  # the figures as known on this date; None: everything the warehouse holds
    vintage_rows: int = 0  # facts known on as_of for the moment's periods (all comparison regions)

    @property
    def sections(self) -> list[IndicatorSection]:
        return [s for g in self.goals for s in g.sections]

    @property
    def kern(self) -> list[IndicatorSection]:
        return [s for s in self.sections if s.kern]

    @property
    def not_judged(self) -> list[IndicatorSection]:
        """Kernindicatoren whose latest or previous figure is invented: neither the target nor the direction is
        judged on them."""
        return [s for s in self.kern if s.latest_value is not None
                and is_invented(weakest(s.provenance, s.previous_provenance, s.status_provenance))]

    @property
    def invented_efforts(self) -> int:
        return sum(is_invented(e.provenance) for g in self.goals for e in g.efforts)

    @property
    def invented_contributions(self) -> int:
        return sum(is_invented(q.provenance) for g in self.goals for q in g.contributions)


def _region_label(name: str) -> str:
    return re.sub(r"\s*\((CR|PV|LD|GM)\)$", "", name)


def _num(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def _time(value: object) -> dt.datetime | None:
    """A timestamp column's value as a datetime; None for SQL NULL (or a column an older mart lacks)."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _read(conn: sa.Connection, sql: str, bound: dict | None = None) -> pd.DataFrame:
    return pd.read_sql_query(sa.text(sql), conn, params=bound)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with SQL NULL as None (pandas reads it as NaN or NaT)."""
    return [{k: None if not isinstance(v, list | dict) and pd.isna(v) else v for k, v in r.items()}
            for r in frame.to_dict("records")]


def _read_optional(conn: sa.Connection, table: str, sql: str, bound: dict | None = None) -> pd.DataFrame | None:
    """A marts table the warehouse may not have built yet (an older warehouse): None when it is missing."""
    schema, name = table.split(".")
    return _read(conn, sql, bound) if sa.inspect(conn).has_table(name, schema=schema) else None


#: changes to figures (revisions, first publications) known by :cutoff, of periods that start by :period_end
_CHANGES = """
    SELECT x.* FROM marts.{table} x JOIN marts.dim_period p ON p.code = x.period_code
    WHERE p.start_date <= cast(:period_end as date)
      AND (cast(:cutoff as timestamp) IS NULL OR x.{when} < cast(:cutoff as timestamp))
    ORDER BY x.{when}, x.indicator_code, x.region_code, x.period_code"""
#: programme rows received by :cutoff (a row without a receipt date is known only without a cutoff)
_RECEIVED = """
    SELECT * FROM marts.{table}
    WHERE cast(:cutoff as timestamp) IS NULL OR received_at < cast(:cutoff as timestamp)"""


def read_content(engine: sa.Engine, now: dt.datetime | None = None, moment: ReportMoment | None = None,
                 as_of: dt.date | None = None, sql_dir: Path = DEFAULT_SQL_DIR) -> ReportContent:
    """Read everything the report shows from ``marts``, in one connection.

    ``moment`` is the report moment (voorjaars-, najaarsrapportage, jaarverantwoording); by default the one
    that fits ``now`` (see :mod:`ea_pipelines.report.moments`). ``as_of``: the figures as known on that date
    (:mod:`ea_pipelines.report.vintage`); the report then depends on the date only, not on ``now`` (apart from
    the generation time it states). Only periods that start by the moment's reference date are shown.
    ``sql_dir``: the SQL models (EA_SQL_DIR) whose ``kernindicatoren`` model the as-of figures are run through.
    """
    now = now or clock.now()
    moment = moment or default_moment(now.date())
    bound = params(as_of, moment.end)
    with engine.connect() as conn:
        indicators = _read(conn, "SELECT * FROM marts.dim_indicator ORDER BY strategic_goal_nr, sort_order")
        kern = _read(conn, kern_sql(Path(sql_dir)), bound)
        series = _read(conn, series_sql(), bound)
        revisions = _read(conn, _CHANGES.format(table="indicator_revision", when="changed_at"), bound)
        periods = _read(conn, "SELECT code, label, end_date FROM marts.dim_period")
        municipality = conn.execute(sa.text(
            "SELECT name FROM marts.dim_region WHERE programme_role = 'municipality'")).scalar()
        first_seen = _read_optional(conn, "marts.indicator_first_seen",
                                    _CHANGES.format(table="indicator_first_seen", when="first_seen_at"), bound)
        efforts = _read_optional(conn, "marts.programme_effort", _RECEIVED.format(table="programme_effort"), bound)
        contributions = _read_optional(conn, "marts.qualitative_contribution",
                                       _RECEIVED.format(table="qualitative_contribution"), bound)
        vintage_rows = rows_known(conn, as_of, moment.end)
    # what the report judges against: the end of the as-of date, or the generation time
    known = dt.datetime.combine(as_of, dt.time.max) if as_of is not None else now
    labels = dict(zip(periods["code"], periods["label"], strict=True))
    ends = {c: pd.Timestamp(e).date() for c, e in zip(periods["code"], periods["end_date"], strict=True)}
    series["start_date"] = pd.to_datetime(series["start_date"])
    series["region"] = series["region_name"].map(_region_label)
    kern_rows = {r["indicator_code"]: r for r in _records(kern)}
    goals: dict[int, Goal] = {}
    for ind in _records(indicators):
        rows = series[series["indicator_code"] == ind["code"]]
        section = (_kern_section(ind, kern_rows[ind["code"]], rows, labels) if ind["code"] in kern_rows
                   else _context_section(ind, rows))
        section.latest_period_end = ends.get(section.latest_period_code) if section.latest_period_code else None
        section.notes += _notes(section, rows, revisions[revisions["indicator_code"] == ind["code"]], labels, known)
        goal = goals.setdefault(int(ind["strategic_goal_nr"]),
                                Goal(int(ind["strategic_goal_nr"]), ind["strategic_goal"], []))
        goal.sections.append(section)
    for goal in goals.values():
        goal.sections.sort(key=lambda s: (not s.kern, s.nr))
    for nr, items in read_efforts(efforts, moment).items():
        if nr in goals:
            goals[nr].efforts = items
    for nr, items in read_contributions(contributions, moment).items():
        if nr in goals:
            goals[nr].contributions = items
    sections = [s for k in sorted(goals) for s in goals[k].sections]
    return ReportContent(generated_at=now, municipality=municipality or "", goals=[goals[k] for k in sorted(goals)],
                         moment=moment,
                         highlights=read_highlights(sections, first_seen, revisions, labels, moment, known),
                         deviations=read_deviations(sections, moment), as_of=as_of, vintage_rows=vintage_rows)


def _chart_series(rows: pd.DataFrame) -> pd.DataFrame:
    chart = rows[rows["programme_role"].isin(CHART_ROLES)].copy()
    chart["order"] = chart["programme_role"].map(CHART_ROLES.index)
    chart = chart.sort_values(["order", "start_date"])[["region", "programme_role", "period_code", "period_label",
                                                        "start_date", "value", "status", "source", "provenance"]]
    return chart.reset_index(drop=True)


def _base(ind: dict, rows: pd.DataFrame) -> dict:
    chart = _chart_series(rows)
    indexed = ind["unit"] in ABSOLUTE_UNITS and chart["programme_role"].nunique() > 1
    return dict(code=ind["code"], nr=int(ind["sort_order"]), name=ind["name"], kern=bool(ind["is_kernindicator"]),
                goal_nr=int(ind["strategic_goal_nr"]), goal=ind["strategic_goal"],
                operational_goal=ind["operational_goal"] or None, unit=ind["unit"],
                target_rule=ind["target_rule"] or None, source=ind["source"], series=chart, indexed=indexed,
                target_kind=ind["target_kind"], target_value=_num(ind["target_value"]),
                higher_is_better=None if ind["higher_is_better"] is None else bool(ind["higher_is_better"]),
                frequency=ind["frequency"])


def _kern_section(ind: dict, k: dict, rows: pd.DataFrame, labels: dict[str, str]) -> IndicatorSection:
    comparisons, comparison_provenance = {}, {}
    for role, column in (("peer_corop", "peer_group_value"), ("province", "province_value"),
                         ("country", "country_value")):
        value = _num(k[column])
        names = rows.loc[rows["programme_role"] == role, "region"]
        if value is not None and len(names):
            comparisons[names.iloc[0]] = value
            comparison_provenance[names.iloc[0]] = k[column.replace("_value", "_provenance")]
    region = rows.loc[rows["region_code"] == k["region_code"], "region"]
    status = k["target_status"]  # "niet beoordeeld" when it rests on an invented figure (the mart's rule)
    return IndicatorSection(
        **_base(ind, rows), status=status, provenance=k["provenance"], previous_provenance=k["previous_provenance"],
        comparison_provenance=comparison_provenance, status_provenance=k["status_provenance"],
        region_name=region.iloc[0] if len(region) else k["region_code"],
        latest_period=labels.get(k["latest_period"]), latest_value=_num(k["latest_value"]),
        value_status=k["cbs_status"], previous_period=labels.get(k["previous_period"]),
        previous_value=_num(k["previous_value"]), comparisons=comparisons, source_table=k["source_table"],
        precedence_note=k["precedence_note"] if isinstance(k.get("precedence_note"), str) else None,
        region_code=k["region_code"], latest_period_code=k["latest_period"],
        fetched_at=None if k["fetched_at"] is None else pd.Timestamp(k["fetched_at"]).to_pydatetime(),
        captured_at=_time(k.get("captured_at")))


def _context_section(ind: dict, rows: pd.DataFrame) -> IndicatorSection:
    """Context figures have no target: the latest value of the programme's municipality, compared as for kern."""
    own = rows[rows["programme_role"] == "municipality"]
    if own.empty:
        return IndicatorSection(**_base(ind, rows), status="geen data", region_name=None, latest_period=None,
                                latest_value=None, value_status=None, previous_period=None, previous_value=None)
    last = own.iloc[-1]
    prev = own.iloc[-2] if len(own) > 1 else None
    same = rows[(rows["period_code"] == last["period_code"]) & (rows["programme_role"] != "municipality")]
    return IndicatorSection(
        **_base(ind, rows), status="context", provenance=last["provenance"],
        previous_provenance=None if prev is None else prev["provenance"],
        comparison_provenance={r["region"]: r["provenance"] for r in same.to_dict("records")},
        region_name=last["region"], latest_period=last["period_label"],
        latest_value=_num(last["value"]), value_status=last["status"],
        previous_period=None if prev is None else prev["period_label"],
        previous_value=None if prev is None else _num(prev["value"]),
        comparisons={r["region"]: float(r["value"]) for r in same.sort_values("programme_role", key=lambda c: c.map(
            COMPARISON_ROLES.index)).to_dict("records")},
        source_table=last["source_table"], fetched_at=pd.Timestamp(last["fetched_at"]).to_pydatetime(),
        captured_at=_time(last.get("captured_at")),
        region_code=last["region_code"], latest_period_code=last["period_code"])


def _precedence_notes(own: pd.DataFrame) -> list[str]:
    """"Bronkeuze" per choice of source in the headline region's series (periods with the same choice together)."""
    chosen = own.dropna(subset=["precedence_note"])
    by_note: dict[str, list[str]] = {}
    for label, note in zip(chosen["period_label"], chosen["precedence_note"], strict=True):
        by_note.setdefault(note, []).append(label)
    return [f"Bronkeuze {', '.join(labels)}: {note}." for note, labels in by_note.items()]


def _notes(s: IndicatorSection, rows: pd.DataFrame, revisions: pd.DataFrame, labels: dict[str, str],
           now: dt.datetime) -> list[str]:
    notes = []
    if s.latest_value is None:
        notes.append("Er zijn nog geen cijfers voor deze indicator in het datawarehouse.")
        return notes
    own = rows[rows["region"] == s.region_name]
    notes += _precedence_notes(own)
    provisional = [p for p, st in zip(own["period_label"], own["status"], strict=True) if st in PROVISIONAL]
    if provisional:
        notes.append(f"Voorlopige cijfers ({', '.join(provisional)}): de bron kan deze nog herzien.")
    unknown = [p for p, st in zip(own["period_label"], own["status"], strict=True) if st == UNKNOWN_STATUS]
    if unknown:
        notes.append(f"Status onbekend ({', '.join(unknown)}): de bron zegt niet of deze cijfers definitief of "
                     "voorlopig zijn.")
    for r in _records(revisions[revisions["region_code"].isin(own["region_code"].unique())]):
        notes.append(
            f"Herzien op {fmt_date(r['changed_at'])}: {labels.get(r['period_code'], r['period_code'])} van "
            f"{fmt_value(r['old_value'], s.unit)} ({r['old_status']}) naar {fmt_value(r['new_value'], s.unit)} "
            f"({r['new_status']}).")
    year = int(own["start_date"].max().year) if len(own) else None
    if year is not None and now.year - year > STALE_AFTER_YEARS:
        notes.append(f"Het meest recente cijfer is van {year}; een nieuwer cijfer is nog niet beschikbaar.")
    if s.indexed:
        notes.append("De grafiek toont een index (eerste gezamenlijke periode = 100), omdat de absolute aantallen "
                     "van de gemeente en Nederland niet op één schaal passen.")
    return notes
