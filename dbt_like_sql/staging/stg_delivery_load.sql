-- When each accepted partner delivery was received, by load id, and whether it is a real partner delivery
-- or one of the project's bundled example files (recognised by its SHA-256 when it was received).
select load_id, delivery_type, file_name, received_at as fetched_at, provenance
from {{ source('meta', 'delivery_log') }}
where status = 'accepted'
