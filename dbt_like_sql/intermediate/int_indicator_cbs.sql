-- Indicators computed from CBS tables, as indicators.yaml declares them (`cbs:`, in
-- staging.seed_indicator_cbs): a measure of a table, or a ratio of two measures times a scale, matched
-- per region and period. Nothing here names a table or an indicator. Ratios keep their numerator and
-- denominator; a ratio is provisional when either part is.
with v as (select * from {{ ref('stg_cbs_value') }}),
decl as (select * from {{ source('staging', 'seed_indicator_cbs') }}),
parts as (
    select d.indicator_code, d.part, d.scale, v.*
    from decl d
    join v on v.table_id = d.table_id and v.measure_code = d.measure_code
        and (d.dimensions_like is null or v.other_dimensions like d.dimensions_like escape '\')
),
ratios as (
    select
        n.indicator_code, n.region_code, n.period_code,
        n.value / q.value * n.scale as value,
        n.value as numerator,
        q.value as denominator,
        case when n.status = 'definitief' and q.status = 'definitief' then 'definitief'
             when n.status = 'definitief' then q.status else n.status end as status,
        'CBS' as source,
        case when n.table_id = q.table_id then n.table_id else n.table_id || ' / ' || q.table_id end as source_table,
        n.load_id, n.fetched_at
    from parts n
    join parts q on q.indicator_code = n.indicator_code and q.part = 'denominator'
        and q.region_code = n.region_code and q.period_code = n.period_code
    where n.part = 'numerator' and q.value > 0
),
direct as (
    select
        p.indicator_code, p.region_code, p.period_code, p.value * p.scale as value,
        cast(null as double precision) as numerator, cast(null as double precision) as denominator,
        p.status, 'CBS' as source, p.table_id as source_table, p.load_id, p.fetched_at
    from parts p
    where p.part = 'value'
)
select * from ratios
union all
select * from direct
