-- Every observation of a fetched statistics source with a value: CBS tables, and Swing Open Data Service
-- variables (Kennispunt Twente open data, loaded by the same machinery into the same staging table), with
-- the moment its load finished (fetched_at), the provenance class its load recorded and the source's name.
select
    o.table_id,
    o.measure_code,
    o.region_code,
    o.period_code,
    o.other_dimensions,
    o.value,
    coalesce(o.period_status, 'definitief') as status,
    o.load_id,
    l.finished_at as fetched_at,
    l.provenance,
    case l.source when 'swing' then 'Kennispunt Twente (open data)' else 'CBS' end as source
from {{ source('staging', 'cbs_observation') }} o
left join {{ source('meta', 'load_log') }} l on l.load_id = o.load_id
where o.value is not null
