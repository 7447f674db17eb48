-- Qualitative contributions per strategic goal ("rijker verantwoorden"), as delivered by the programme
-- team (delivery type qualitative_contributions), with when the file was received.
select
    q.goal_nr as strategic_goal_nr,
    q.title,
    q.body,
    q.author,
    q.contribution_date,
    q.image,
    q.source_file,
    q.load_id,
    d.fetched_at as received_at,
    d.provenance
from {{ source('staging', 'qualitative_contributions') }} q
left join {{ ref('stg_delivery_load') }} d on d.load_id = q.load_id
