-- When each accepted partner delivery was received, by load id.
select load_id, delivery_type, file_name, received_at as fetched_at
from {{ source('meta', 'delivery_log') }}
where status = 'accepted'
