-- Every CBS observation with a value, with the moment its load finished (fetched_at) and the provenance
-- class its load recorded (cbs_live, cbs_capture or synthetic).
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
    l.provenance
from {{ source('staging', 'cbs_observation') }} o
left join {{ source('meta', 'load_log') }} l on l.load_id = o.load_id
where o.value is not null
