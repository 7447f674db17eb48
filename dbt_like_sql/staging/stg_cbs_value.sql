-- Every CBS observation with a value, with the moment its load finished (fetched_at).
select
    o.table_id,
    o.measure_code,
    o.region_code,
    o.period_code,
    o.other_dimensions,
    o.value,
    coalesce(o.period_status, 'definitief') as status,
    o.load_id,
    l.finished_at as fetched_at
from {{ source('staging', 'cbs_observation') }} o
left join {{ source('meta', 'load_log') }} l on l.load_id = o.load_id
where o.value is not null
