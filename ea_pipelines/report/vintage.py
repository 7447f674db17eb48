"""The figures as they were known on a date: the report's view of ``marts.fact_indicator_value`` as of DATE.

A value counts as known from the moment it reached the warehouse (``marts.indicator_first_seen``) and keeps
that value until a revision (``marts.indicator_revision``) made after it; the value known at a cutoff is the
new value of the last revision made before the cutoff or, when the figure was only revised later, the old value
of the first revision made after it. Only periods that start on or before the report moment's reference date
count. The kernindicatoren are the ``kernindicatoren`` model's own SQL, run over this view instead of the
fact table, so that latest, previous, comparison and target status follow the same rules as the mart.

The cutoff is compared with the warehouse's audit timestamps (when a figure was fetched or received), which
run on the real clock. Without a date (``as_of`` None) every figure the warehouse holds counts, with the
date it was last fetched; with a date the figure's date is when its known value was first published.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import sqlalchemy as sa

from ea_pipelines.settings import DEFAULT_SQL_DIR
from ea_pipelines.sqlmodels.project import load_project, render

#: the CTE name the kernindicatoren model reads instead of marts.fact_indicator_value
VINTAGE = "vintage_fact"

_KEYS = "indicator_code, region_code, period_code"
_ON = ("{a}.indicator_code = {b}.indicator_code and {a}.region_code = {b}.region_code "
       "and {a}.period_code = {b}.period_code")

#: marts.fact_indicator_value's columns as known at :cutoff (NULL: everything), periods starting by :period_end
VINTAGE_SQL = f"""
select f.indicator_code, f.region_code, f.period_code,
       case when k.changed_at is not null then k.new_value when l.changed_at is not null then l.old_value
            else f.value end as value,
       case when l.changed_at is null then f.numerator end as numerator,
       case when l.changed_at is null then f.denominator end as denominator,
       case when k.changed_at is not null then k.new_status when l.changed_at is not null then l.old_status
            else f.status end as status,
       f.source, f.source_table,
       case when k.changed_at is not null then k.new_load_id when l.changed_at is not null then l.old_load_id
            else f.load_id end as load_id,
       case when cast(:cutoff as timestamp) is null then f.fetched_at
            else coalesce(k.changed_at, s.first_seen_at, l.old_fetched_at, f.fetched_at) end as fetched_at,
       case when k.changed_at is not null then k.new_provenance when l.changed_at is not null then l.old_provenance
            else f.provenance end as provenance,
       case when l.changed_at is null then f.precedence_note end as precedence_note,
       f.decimals, f.captured_at
from marts.fact_indicator_value f
join marts.dim_period p on p.code = f.period_code
left join (select {_KEYS}, min(first_seen_at) as first_seen_at from marts.indicator_first_seen
           group by {_KEYS}) s on {_ON.format(a='s', b='f')}
left join (select r.*, row_number() over (partition by {_KEYS} order by changed_at desc) as nr
           from marts.indicator_revision r where r.changed_at < cast(:cutoff as timestamp)) k
  on {_ON.format(a='k', b='f')} and k.nr = 1
left join (select r.*, row_number() over (partition by {_KEYS} order by changed_at) as nr
           from marts.indicator_revision r where r.changed_at >= cast(:cutoff as timestamp)) l
  on {_ON.format(a='l', b='f')} and l.nr = 1
where p.start_date <= cast(:period_end as date)
  and (cast(:cutoff as timestamp) is null
       or coalesce(s.first_seen_at, l.old_fetched_at, f.fetched_at) < cast(:cutoff as timestamp))
"""


def cutoff(as_of: dt.date | None) -> dt.datetime | None:
    """The first moment not known on ``as_of``: the start of the next day (None: no cutoff)."""
    return None if as_of is None else dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())


def params(as_of: dt.date | None, period_end: dt.date) -> dict:
    """The bound parameters of the SQL in this module."""
    return {"cutoff": cutoff(as_of), "period_end": period_end}


def series_sql() -> str:
    """Every value of the programme's comparison regions as known, with region and period."""
    return f"""
        WITH {VINTAGE} AS ({VINTAGE_SQL})
        SELECT f.indicator_code, f.region_code, r.name AS region_name, r.programme_role, f.period_code,
               p.start_date, p.label AS period_label, f.value, f.status, f.source, f.source_table,
               f.fetched_at, f.provenance, f.precedence_note, f.captured_at
        FROM {VINTAGE} f
        JOIN marts.dim_region r ON r.code = f.region_code
        JOIN marts.dim_period p ON p.code = f.period_code
        WHERE r.programme_role IN ('municipality', 'peer_corop', 'province', 'country')
        ORDER BY f.indicator_code, p.start_date, f.region_code"""


@cache
def kern_sql(sql_dir: Path = DEFAULT_SQL_DIR) -> str:
    """The kernindicatoren model of the SQL models in ``sql_dir`` (EA_SQL_DIR), rendered over the vintage instead
    of the fact table."""
    models = {m.name: m for m in load_project(sql_dir)}
    model = models["kernindicatoren"]
    relations = {name: f"{models[name].layer}.{name}" for name in model.refs}
    relations["fact_indicator_value"] = VINTAGE
    return f"WITH {VINTAGE} AS ({VINTAGE_SQL}) SELECT * FROM ({render(model.sql, relations)}) k"


def rows_known(conn: sa.Connection, as_of: dt.date | None, period_end: dt.date) -> int:
    """How many facts the report's vintage holds (the asset's ``vintage_rows``)."""
    return int(conn.execute(sa.text(f"SELECT count(*) FROM ({VINTAGE_SQL}) v"), params(as_of, period_end)).scalar())
