-- Every observation of a fetched statistics source with a value: CBS tables, and Swing Open Data Service
-- variables (Kennispunt Twente open data, loaded by the same machinery into the same staging table), with
-- the moment its load finished (fetched_at), the provenance class its load recorded and the source's name.
-- status is the figure's status as CBS states it (ea_pipelines.cbs.status: the period's Status, or the topics its
-- Description names); rows published before that column existed fall back on the period's CBS Status. Where
-- neither says anything the status is 'onbekend': a missing status never becomes 'definitief'.
-- The value at the precision its source declares (decimals: the measure's CBS Decimals, staging.cbs_measure),
-- which removes binary float noise; a measure without declared decimals (a Swing ODS variable) at the
-- precision for unknown sources (ea_pipelines.sqlmodels.precision).
with measure as (
    select table_id, measure_code, max(decimals) as decimals
    from {{ source('staging', 'cbs_measure') }} group by table_id, measure_code
),
o as (
    select o.*, coalesce(cast(m.decimals as integer), {{ precision('unknown') }}) as decimals
    from {{ source('staging', 'cbs_observation') }} o
    left join measure m on m.table_id = o.table_id and m.measure_code = o.measure_code
    where o.value is not null
)
select
    o.table_id,
    o.measure_code,
    o.region_code,
    o.period_code,
    o.other_dimensions,
    {{ rounded('o.value', 'o.decimals') }} as value,
    case when o.status is not null then o.status
         when o.period_status in ('definitief', 'voorlopig', 'nader voorlopig') then o.period_status
         else 'onbekend' end as status,
    o.load_id,
    l.finished_at as fetched_at,
    l.provenance,
    case l.source when 'swing' then 'Kennispunt Twente (open data)' else 'CBS' end as source,
    o.decimals,
    l.captured_at  -- when the data was taken from the source: a replayed capture's own date, not the replay's
from o
left join {{ source('meta', 'load_log') }} l on l.load_id = o.load_id
