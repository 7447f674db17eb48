-- Indicators computed from CBS tables, as indicators.yaml declares them (`cbs:`, in
-- staging.seed_indicator_cbs), and indicators a Swing ODS variable provides (swing_variables.yaml `indicator:`,
-- in the same seed as a one-measure table): a measure of a table, or a ratio of two measures times a scale, matched
-- per region and period. Nothing here names a table or an indicator. Ratios keep their numerator and
-- denominator; a ratio or a computed group takes the weakest status of its parts (onbekend < voorlopig <
-- nader voorlopig < definitief, ea_pipelines.cbs.status.STATUSES: definitief only when every part is, onbekend
-- when any part is) and the weakest provenance class of its parts (ea_pipelines.provenance).
--
-- Comparison groups CBS does not publish are computed from their member municipalities, part by part
-- (so a ratio is the summed numerator over the summed denominator, never an average of ratios), only
-- when every member (at least two) has a value, and labelled in source_table ("berekend uit N gemeenten"):
--   * the peer group's COROP area (members: the programme's municipality and its peers; in years before a
--     member existed, the municipalities it was formed from, see peer_cover), where CBS has no row for it;
--   * the size class of the programme's municipality (CBS gemeentegrootteklasse by inhabitants on
--     1 January of the same year, staging.seed_size_class), as region code GK1..GK8.
-- Each period of a table with editions comes from one edition (stg_cbs_edition_value: the newest that has it).
-- Precision (decimals): a measure's value as CBS gives it (its Decimals); a sum over members at the most
-- decimals of its parts; a ratio at the documented ratio precision (ea_pipelines.sqlmodels.precision).
with v as (select * from {{ ref('stg_cbs_edition_value') }}),
decl as (select * from {{ source('staging', 'seed_indicator_cbs') }}),
roles as (select * from {{ source('staging', 'seed_programme_region') }}),
pop as (select * from {{ ref('int_population') }}),
classes as (select * from {{ source('staging', 'seed_size_class') }}),
measured as (
    select d.indicator_code, d.part, d.scale, d.aggregate, v.table_id, v.region_code, v.period_code, v.value,
        v.status, v.load_id, v.fetched_at, v.edition_table_id as source_table, v.provenance, v.source, v.decimals,
        v.captured_at
    from decl d
    join v on v.table_id = d.table_id and v.measure_code = d.measure_code
        and (d.dimensions_like is null or v.other_dimensions like d.dimensions_like escape '\')
),
-- group x member x year: the peer group and the municipality's size class of that year
validity as (
    select region_code, min(valid_from) as valid_from, max(valid_to) as valid_to, max(successor_code) as successor_code
    from {{ source('staging', 'cbs_region') }} group by region_code
),
configured as (
    select g.region_code as group_code, m.region_code as member_code
    from roles g join roles m on m.role in ('municipality', 'peer')
    where g.role = 'peer_corop'
),
present as (
    select distinct table_id, region_code, substr(period_code, 1, 4) || 'JJ00' as year_code from measured
),
-- The peer group of a year as that year's table has it: each configured municipality, or, in years before it
-- existed, the municipalities it was formed from (their successor_code is the configured one; every one of
-- them that existed on 1 January of that year). A table that CBS recalculated to today's classification has
-- the configured municipality itself in every year.
predecessors as (
    select c.group_code, c.member_code as configured_code, v.region_code as member_code,
        v.valid_from, v.valid_to
    from configured c join validity v on v.successor_code = c.member_code
),
peer_cover as (
    select c.group_code, c.member_code as configured_code, c.member_code, p.table_id, p.year_code
    from configured c join present p on p.region_code = c.member_code
    union all
    select pr.group_code, pr.configured_code, pr.member_code, p.table_id, p.year_code
    from predecessors pr join present p on p.region_code = pr.member_code
    where not exists (select 1 from present q where q.region_code = pr.configured_code
                      and q.table_id = p.table_id and q.year_code = p.year_code)
),
peer_missing as (  -- a predecessor that existed that year but has no figure: the group is incomplete
    select distinct pc.group_code, pc.table_id, pc.year_code
    from peer_cover pc
    join predecessors pr on pr.group_code = pc.group_code and pr.configured_code = pc.configured_code
    where pc.member_code <> pc.configured_code
      and (pr.valid_from is null or pr.valid_from <= cast(substr(pc.year_code, 1, 4) || '-01-01' as date))
      and (pr.valid_to is null or pr.valid_to > cast(substr(pc.year_code, 1, 4) || '-01-01' as date))
      and not exists (select 1 from present q where q.region_code = pr.member_code
                      and q.table_id = pc.table_id and q.year_code = pc.year_code)
),
peer_members as (
    select pc.group_code, pc.member_code, pc.table_id, pc.year_code
    from peer_cover pc
    where (select count(distinct x.configured_code) from peer_cover x where x.group_code = pc.group_code
           and x.table_id = pc.table_id and x.year_code = pc.year_code)
          = (select count(*) from configured c where c.group_code = pc.group_code)
      and not exists (select 1 from peer_missing m where m.group_code = pc.group_code
                      and m.table_id = pc.table_id and m.year_code = pc.year_code)
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
    select group_code, table_id, year_code, count(*) as members
    from peer_members group by group_code, table_id, year_code
    union all
    select group_code, cast(null as text), year_code, count(*) from class_members group by group_code, year_code
),
member_values as (
    select pm.group_code, pm.year_code, m.*
    from measured m
    join peer_members pm on pm.member_code = m.region_code and pm.table_id = m.table_id
        and pm.year_code = substr(m.period_code, 1, 4) || 'JJ00'
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
        mv.group_code as region_code, mv.period_code, {{ rounded('sum(mv.value)', 'max(mv.decimals)') }} as value,
        case min(case mv.status when 'definitief' then 3 when 'nader voorlopig' then 2 when 'voorlopig' then 1
                 else 0 end)
            when 3 then 'definitief' when 2 then 'nader voorlopig' when 1 then 'voorlopig' else 'onbekend'
        end as status,
        max(mv.load_id) as load_id, max(mv.fetched_at) as fetched_at,
        mv.table_id || ' (berekend uit ' || cast(count(*) as varchar) || ' gemeenten)' as source_table,
        -- the members come from one load of one table, so one class; anything else leaves NULL (model tests fail)
        case when count(distinct mv.provenance) = 1 and count(mv.provenance) = count(*) then max(mv.provenance)
        end as provenance,
        max(mv.source) as source, max(mv.decimals) as decimals, min(mv.captured_at) as captured_at
    from member_values mv
    join group_size gs on gs.group_code = mv.group_code and gs.year_code = mv.year_code
        and (gs.table_id = mv.table_id or gs.table_id is null)
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
        {{ rounded('n.value / q.value * n.scale', 'ratio') }} as value,
        n.value as numerator,
        q.value as denominator,
        case least(case n.status when 'definitief' then 3 when 'nader voorlopig' then 2 when 'voorlopig' then 1
                       else 0 end,
                   case q.status when 'definitief' then 3 when 'nader voorlopig' then 2 when 'voorlopig' then 1
                       else 0 end)
            when 3 then 'definitief' when 2 then 'nader voorlopig' when 1 then 'voorlopig' else 'onbekend'
        end as status,
        case when n.source = q.source then n.source else n.source || ' / ' || q.source end as source,
        case when n.source_table = q.source_table then n.source_table
             else n.source_table || ' / ' || q.source_table end as source_table,
        n.load_id, n.fetched_at,
        {{ weakest('n.provenance', 'q.provenance') }} as provenance,
        {{ precision('ratio') }} as decimals,
        case when n.captured_at is null or q.captured_at is null then null  -- a part of unknown date
             when n.captured_at <= q.captured_at then n.captured_at else q.captured_at end as captured_at
    from parts n
    join parts q on q.indicator_code = n.indicator_code and q.part = 'denominator'
        and q.region_code = n.region_code and q.period_code = n.period_code
    where n.part = 'numerator' and q.value > 0
),
direct as (
    select
        p.indicator_code, p.region_code, p.period_code, {{ rounded('p.value * p.scale', 'p.decimals') }} as value,
        cast(null as double precision) as numerator, cast(null as double precision) as denominator,
        p.status, p.source, p.source_table, p.load_id, p.fetched_at, p.provenance, p.decimals, p.captured_at
    from parts p
    where p.part = 'value'
)
select * from ratios
union all
select * from direct
