-- One row per kernindicator: the headline region's latest value, its previous value and the change,
-- the peer group, province and country for the same period, the target and whether it is met, and the
-- provenance class of each of these figures (a judgement takes the weakest class of the figures it rests on).
-- Two statuses, never mixed up: cbs_status is the status of the latest figure as its source gives it
-- (definitief, voorlopig, ...); target_status is the judgement of the target, "niet beoordeeld" when a figure
-- it rests on is invented (staging.seed_provenance_class.invented): an invented figure is never judged.
with ind as (
    select * from {{ ref('dim_indicator') }} where is_kernindicator
),
roles as (select region_code, role, label from {{ source('staging', 'seed_programme_region') }}),
headline as (
    select i.code as indicator_code, r.region_code
    from ind i
    join roles r on r.role = case when i.region_role = 'peer_corop' then 'peer_corop' else 'municipality' end
),
f as (select * from {{ ref('fact_indicator_value') }}),
latest as (
    select h.indicator_code, h.region_code, max(f.period_code) as period_code
    from headline h join f on f.indicator_code = h.indicator_code and f.region_code = h.region_code
    group by h.indicator_code, h.region_code
),
previous as (
    select l.indicator_code, max(f.period_code) as period_code
    from latest l join f on f.indicator_code = l.indicator_code and f.region_code = l.region_code
        and f.period_code < l.period_code and substr(f.period_code, 5, 2) = substr(l.period_code, 5, 2)
    group by l.indicator_code
),
cur as (
    select l.indicator_code, f.region_code, f.period_code, f.value, f.status, f.source_table, f.fetched_at,
           f.provenance, f.source as value_source, f.precedence_note, f.decimals,
           f.captured_at
    from latest l join f on f.indicator_code = l.indicator_code and f.region_code = l.region_code
        and f.period_code = l.period_code
),
prev as (
    select p.indicator_code, f.period_code, f.value, f.provenance, f.decimals
    from previous p join latest l on l.indicator_code = p.indicator_code
    join f on f.indicator_code = p.indicator_code and f.region_code = l.region_code and f.period_code = p.period_code
),
compare as (
    select l.indicator_code, r.role, f.value, f.provenance
    from latest l
    join f on f.indicator_code = l.indicator_code and f.period_code = l.period_code
    join roles r on r.region_code = f.region_code and r.role in ('peer_corop', 'province', 'country')
),
judged as (
    select i.code as indicator_code,
        case
            when c.value is null then null
            when i.target_kind in ('at_most', 'at_least') then c.provenance
            when i.target_kind in ('rising', 'falling') then {{ weakest('c.provenance', 'p.provenance') }}
        end as status_provenance
    from ind i
    left join cur c on c.indicator_code = i.code
    left join prev p on p.indicator_code = i.code
),
invented as (select provenance from {{ source('staging', 'seed_provenance_class') }} where invented)
select
    i.sort_order as nr,
    i.code as indicator_code,
    i.name as indicator,
    i.strategic_goal,
    i.strategic_goal_nr,
    i.unit,
    h.region_code,
    c.period_code as latest_period,
    c.value as latest_value,
    c.status as cbs_status,
    p.period_code as previous_period,
    p.value as previous_value,
    {{ rounded('c.value - p.value', 'greatest(c.decimals, p.decimals)') }} as change,  -- no float noise
    case when h.region_code = (select region_code from roles where role = 'peer_corop') then null
         else (select max(value) from compare x where x.indicator_code = i.code and x.role = 'peer_corop')
    end as peer_group_value,
    (select max(value) from compare x where x.indicator_code = i.code and x.role = 'province') as province_value,
    (select max(value) from compare x where x.indicator_code = i.code and x.role = 'country') as country_value,
    (select max(f2.region_code) from f f2 where f2.indicator_code = i.code and f2.period_code = c.period_code
        and substr(f2.region_code, 1, 2) = 'GK') as size_class,
    (select max(f2.value) from f f2 where f2.indicator_code = i.code and f2.period_code = c.period_code
        and substr(f2.region_code, 1, 2) = 'GK') as size_class_value,
    i.target_rule,
    case
        when c.value is null or i.target_kind = 'none' then null
        when j.status_provenance in (select provenance from invented) then null
        when i.target_kind = 'at_most' then c.value <= i.target_value
        when i.target_kind = 'at_least' then c.value >= i.target_value
        when p.value is null then null
        when i.target_kind = 'rising' then c.value > p.value
        when i.target_kind = 'falling' then c.value < p.value
    end as target_met,
    case
        when c.value is null then 'geen data'
        when i.target_kind = 'none' then 'geen streefwaarde'
        when i.target_kind in ('rising', 'falling') and p.value is null then 'geen vergelijking'
        when j.status_provenance in (select provenance from invented) then 'niet beoordeeld'
        when (i.target_kind = 'at_most' and c.value <= i.target_value)
          or (i.target_kind = 'at_least' and c.value >= i.target_value)
          or (i.target_kind = 'rising' and c.value > p.value)
          or (i.target_kind = 'falling' and c.value < p.value) then 'behaald'
        else 'niet behaald'
    end as target_status,
    i.source,
    c.value_source,
    c.source_table,
    c.precedence_note,
    c.fetched_at,
    c.captured_at,
    current_date - cast(c.fetched_at as date) as days_since_fetch,
    cast(extract(year from current_date) as integer) - cast(substr(c.period_code, 1, 4) as integer) as years_since_period,
    c.provenance,
    p.provenance as previous_provenance,
    case when h.region_code = (select region_code from roles where role = 'peer_corop') then null
         else (select max(provenance) from compare x where x.indicator_code = i.code and x.role = 'peer_corop')
    end as peer_group_provenance,
    (select max(provenance) from compare x where x.indicator_code = i.code and x.role = 'province') as province_provenance,
    (select max(provenance) from compare x where x.indicator_code = i.code and x.role = 'country') as country_provenance,
    (select max(f2.provenance) from f f2 where f2.indicator_code = i.code and f2.period_code = c.period_code
        and substr(f2.region_code, 1, 2) = 'GK') as size_class_provenance,
    j.status_provenance
from ind i
left join headline h on h.indicator_code = i.code
left join cur c on c.indicator_code = i.code
left join prev p on p.indicator_code = i.code
left join judged j on j.indicator_code = i.code
