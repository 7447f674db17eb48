-- Values that changed since the previous build of fact_indicator_value: CBS revises provisional
-- figures, partners send corrections. Appended on every build, never rewritten.
select
    n.indicator_code,
    n.region_code,
    n.period_code,
    p.value as old_value,
    n.value as new_value,
    p.status as old_status,
    n.status as new_status,
    p.load_id as old_load_id,
    n.load_id as new_load_id,
    p.fetched_at as old_fetched_at,
    n.fetched_at as changed_at,
    p.provenance as old_provenance,
    n.provenance as new_provenance
from {{ ref('fact_indicator_value') }} n
join {{ previous('fact_indicator_value') }} p
  on p.indicator_code = n.indicator_code and p.region_code = n.region_code and p.period_code = n.period_code
-- compared at the value's precision: a value a build before the precision rule stored with float noise
-- (446.2661816625655) is no revision of the same figure stored as its source gives it (446.266)
where {{ rounded('p.value', 'n.decimals') }} <> n.value or p.status is distinct from n.status
