-- Every observation of a fetched statistics source with a value: CBS tables, and Swing Open Data Service
-- variables (Kennispunt Twente open data, loaded by the same machinery into the same staging table), with
-- the moment its load finished (fetched_at), the provenance class its load recorded and the source's name.
-- status is the figure's status as CBS states it (ea_pipelines.cbs.status: the period's Status, or the topics its
-- Description names); rows published before that column existed fall back on the period's CBS Status. Where
-- neither says anything the status is 'onbekend': a missing status never becomes 'definitief'.
select
    o.table_id,
    o.measure_code,
    o.region_code,
    o.period_code,
    o.other_dimensions,
    o.value,
    case when o.status is not null then o.status
         when o.period_status in ('definitief', 'voorlopig', 'nader voorlopig') then o.period_status
         else 'onbekend' end as status,
    o.load_id,
    l.finished_at as fetched_at,
    l.provenance,
    case l.source when 'swing' then 'Kennispunt Twente (open data)' else 'CBS' end as source
from {{ source('staging', 'cbs_observation') }} o
left join {{ source('meta', 'load_log') }} l on l.load_id = o.load_id
where o.value is not null
