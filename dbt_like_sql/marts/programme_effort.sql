-- The programme's efforts (plan section 5.1) per strategic goal, as delivered by the programme team
-- (delivery type programme_efforts): one row per effort and period, with when the file was received.
select
    e.goal_nr as strategic_goal_nr,
    e.effort,
    e.status,
    e.period as period_code,
    e.explanation,
    e.result_count,
    e.result_unit,
    e.source_file,
    e.load_id,
    d.fetched_at as received_at,
    d.provenance
from {{ source('staging', 'programme_efforts') }} e
left join {{ ref('stg_delivery_load') }} d on d.load_id = e.load_id
