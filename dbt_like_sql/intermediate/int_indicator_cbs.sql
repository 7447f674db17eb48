-- Indicators computed from CBS tables, as indicators.yaml declares them (`cbs:`, in
-- staging.seed_indicator_cbs): a measure of a table, or a ratio of two measures times a scale, matched
-- per region and period. Nothing here names a table or an indicator. Ratios keep their numerator and
-- denominator; a ratio is provisional when either part is, and takes the weakest provenance class of its
-- parts (ea_pipelines.provenance).
--
-- Comparison groups CBS does not publish are computed from their member municipalities, part by part
-- (so a ratio is the summed numerator over the summed denominator, never an average of ratios), only
-- when every member (at least two) has a value, and labelled in source_table ("berekend uit N gemeenten"):
--   * the peer group's COROP area (members: the programme's municipality and its peers), where CBS has
--     no row for it;
--   * the size class of the programme's municipality (CBS gemeentegrootteklasse by inhabitants on
--     1 January of the same year, staging.seed_size_class), as region code GK1..GK8.
-- Each period of a table with editions comes from one edition (stg_cbs_edition_value: the newest that has it).
with v as (select * from {{ ref('stg_cbs_edition_value') }}),
decl as (select * from {{ source('staging', 'seed_indicator_cbs') }}),
roles as (select * from {{ source('staging', 'seed_programme_region') }}),
pop as (select * from {{ ref('int_population') }}),
classes as (select * from {{ source('staging', 'seed_size_class') }}),
measured as (
    select d.indicator_code, d.part, d.scale, d.aggregate, v.table_id, v.region_code, v.period_code, v.value,
        v.status, v.load_id, v.fetched_at, v.edition_table_id as source_table, v.provenance
    from decl d
    join v on v.table_id = d.table_id and v.measure_code = d.measure_code
        and (d.dimensions_like is null or v.other_dimensions like d.dimensions_like escape '\')
),
-- group x member x year: the peer group (every year) and the municipality's size class of that year
peer_members as (
    select g.region_code as group_code, m.region_code as member_code
    from roles g join roles m on m.role in ('municipality', 'peer')
    where g.role = 'peer_corop'
),
own_class as (
    select p.period_code as year_code, c.code as group_code, c.lower_bound, c.upper_bound
    from pop p
    join roles r on r.region_code = p.region_code and r.role = 'municipality'
    join classes c on p.population >= c.lower_bound and (c.upper_bound is null or p.population < c.upper_bound)
),
class_members as (
    select o.group_code, p.region_code as member_code, o.year_code
    from own_class o
    join pop p on p.period_code = o.year_code and substr(p.region_code, 1, 2) = 'GM'
        and p.population >= o.lower_bound and (o.upper_bound is null or p.population < o.upper_bound)
),
group_size as (
    select group_code, cast(null as text) as year_code, count(*) as members from peer_members group by group_code
    union all
    select group_code, year_code, count(*) from class_members group by group_code, year_code
),
member_values as (
    select pm.group_code, cast(null as text) as year_code, m.*
    from measured m join peer_members pm on pm.member_code = m.region_code
    where m.aggregate = 'sum'
    union all
    select cm.group_code, cm.year_code, m.*
    from measured m
    join class_members cm on cm.member_code = m.region_code and cm.year_code = substr(m.period_code, 1, 4) || 'JJ00'
    where m.aggregate = 'sum'
),
computed as (
    select
        mv.indicator_code, mv.part, max(mv.scale) as scale, max(mv.aggregate) as aggregate, mv.table_id,
        mv.group_code as region_code, mv.period_code, sum(mv.value) as value,
        case when min(mv.status) = 'definitief' and max(mv.status) = 'definitief' then 'definitief'
             else 'voorlopig' end as status,
        max(mv.load_id) as load_id, max(mv.fetched_at) as fetched_at,
        mv.table_id || ' (berekend uit ' || cast(count(*) as varchar) || ' gemeenten)' as source_table,
        -- the members come from one load of one table, so one class; anything else leaves NULL (model tests fail)
        case when count(distinct mv.provenance) = 1 and count(mv.provenance) = count(*) then max(mv.provenance)
        end as provenance
    from member_values mv
    join group_size gs on gs.group_code = mv.group_code
        and (gs.year_code = mv.year_code or (gs.year_code is null and mv.year_code is null))
    group by mv.indicator_code, mv.part, mv.table_id, mv.group_code, mv.period_code
    having count(*) = max(gs.members) and count(distinct mv.region_code) = max(gs.members)
        and max(gs.members) > 1  -- a group of one is the municipality itself, not a comparison
),
parts as (
    select * from measured
    union all
    select c.* from computed c
    where not exists (select 1 from measured m where m.indicator_code = c.indicator_code and m.part = c.part
                      and m.region_code = c.region_code and m.period_code = c.period_code)
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
        case when n.source_table = q.source_table then n.source_table
             else n.source_table || ' / ' || q.source_table end as source_table,
        n.load_id, n.fetched_at,
        {{ weakest('n.provenance', 'q.provenance') }} as provenance
    from parts n
    join parts q on q.indicator_code = n.indicator_code and q.part = 'denominator'
        and q.region_code = n.region_code and q.period_code = n.period_code
    where n.part = 'numerator' and q.value > 0
),
direct as (
    select
        p.indicator_code, p.region_code, p.period_code, p.value * p.scale as value,
        cast(null as double precision) as numerator, cast(null as double precision) as denominator,
        p.status, 'CBS' as source, p.source_table, p.load_id, p.fetched_at, p.provenance
    from parts p
    where p.part = 'value'
)
select * from ratios
union all
select * from direct
