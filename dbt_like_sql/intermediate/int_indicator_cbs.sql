-- Indicators computed from CBS tables. Ratios keep their numerator and denominator; a ratio is
-- provisional when either part is, and takes the weakest provenance class of its parts.
with v as (select * from {{ ref('stg_cbs_value') }}),
pop as (select * from {{ ref('int_population') }}),
ratio_parts as (
    select 'bijstand_per_10000' as indicator_code, 10000.0 as scale, v.*
    from v where v.table_id = '70072ned' and v.measure_code = '90210_3'
    union all
    select 'vestigingen_per_1000', 1000.0, v.*
    from v where v.table_id = '70072ned' and v.measure_code = 'M000200_2'
),
ratios as (
    select
        r.indicator_code, r.region_code, r.period_code,
        r.value / p.population * r.scale as value,
        r.value as numerator,
        p.population as denominator,
        case when r.status = 'definitief' and p.status = 'definitief' then 'definitief'
             when r.status = 'definitief' then p.status else r.status end as status,
        'CBS' as source,
        r.table_id || ' / 03759ned' as source_table,
        r.load_id, r.fetched_at,
        {{ weakest('r.provenance', 'p.provenance') }} as provenance
    from ratio_parts r
    join pop p on p.region_code = r.region_code and p.period_code = r.period_code
    where p.population > 0
),
direct as (
    select
        case
            when v.table_id = '70072ned' and v.measure_code = 'M000308_3' then 'banen'
            when v.table_id = '85969NED' and v.measure_code = 'WerkzameBeroepsbevolking_2' then 'werkzame_beroepsbevolking'
            when v.table_id = '85969NED' and v.measure_code = 'WerklozeBeroepsbevolking_3' then 'werkloze_beroepsbevolking'
            when v.table_id = '85969NED' and v.measure_code = 'NietBeroepsbevolking_4' then 'niet_beroepsbevolking'
            when v.table_id = '03759ned' and v.measure_code = 'M000352' then 'bevolking'
        end as indicator_code,
        v.region_code, v.period_code, v.value,
        cast(null as double precision) as numerator, cast(null as double precision) as denominator,
        v.status, 'CBS' as source, v.table_id as source_table, v.load_id, v.fetched_at, v.provenance
    from v
),
participation as (
    select
        'netto_arbeidsparticipatie' as indicator_code, w.region_code, w.period_code,
        w.value / t.value * 100 as value, w.value as numerator, t.value as denominator,
        case when w.status = 'definitief' then t.status else w.status end as status,
        'CBS' as source, '85969NED' as source_table, w.load_id, w.fetched_at,
        {{ weakest('w.provenance', 't.provenance') }} as provenance
    from v w
    join v t on t.table_id = w.table_id and t.region_code = w.region_code and t.period_code = w.period_code
        and t.measure_code = 'BeroepsEnNietBeroepsbevolking_1'
    where w.table_id = '85969NED' and w.measure_code = 'WerkzameBeroepsbevolking_2' and t.value > 0
)
select * from ratios
union all
select * from direct where indicator_code is not null
union all
select * from participation
