-- Figures that were not in the previous build of fact_indicator_value: a new period, a new region, a new
-- indicator. With indicator_revision this says what is new since a date (the report's highlights).
-- Appended on every build, never rewritten.
select
    n.indicator_code,
    n.region_code,
    n.period_code,
    n.value,
    n.status,
    n.source_table,
    n.load_id,
    n.fetched_at as first_seen_at,
    n.provenance
from {{ ref('fact_indicator_value') }} n
left join {{ previous('fact_indicator_value') }} p
  on p.indicator_code = n.indicator_code and p.region_code = n.region_code and p.period_code = n.period_code
where p.indicator_code is null
