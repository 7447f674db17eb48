-- One row per indicator x region x period, with where the number came from.
-- depends_on: {{ ref('dim_indicator') }} (its relationship test reads it)
select * from {{ ref('int_indicator_cbs') }}
union all
select * from {{ ref('int_indicator_delivery') }}
