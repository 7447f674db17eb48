-- Indicator values from partner deliveries (staging.<delivery type>), with the time they were received,
-- at the precision the delivery column declares (deliveries.yaml `decimals`, staging.seed_delivery_column).
with precision_ as (select delivery_type, column_name, decimals from {{ source('staging', 'seed_delivery_column') }}),
kp as (
    select indicator_code, region_code, period, value, source_note, load_id, source_file
    from {{ source('staging', 'kennispunt_twente') }}
),
uwv_region as (
    select region_code, label from {{ source('staging', 'seed_programme_region') }}
    where role in ('peer_corop', 'country')
),
rows_ as (
    select kp.indicator_code, kp.region_code, kp.period as period_code, kp.value,
           'Kennispunt Twente' as source, kp.source_file as source_table, kp.load_id, p.decimals
    from kp left join precision_ p on p.delivery_type = 'kennispunt_twente' and p.column_name = 'value'
    union all
    select 'mkb_ranking_positie', m.municipality_code, m.edition_year, cast(m.overall_rank as double precision),
           'MKB-Nederland', m.source_file, m.load_id, p.decimals
    from {{ source('staging', 'mkb_ranking') }} m
    left join precision_ p on p.delivery_type = 'mkb_ranking' and p.column_name = 'overall_rank'
    union all
    select 'tevredenheid_dienstverlening', m.municipality_code, m.edition_year, m.satisfaction_score,
           'MKB-Nederland', m.source_file, m.load_id, p.decimals
    from {{ source('staging', 'mkb_ranking') }} m
    left join precision_ p on p.delivery_type = 'mkb_ranking' and p.column_name = 'satisfaction_score'
    union all
    select 'scholingscheques', t.municipality_code, t.period, cast(t.vouchers_issued as double precision),
           'Twents Fonds voor Vakmanschap', t.source_file, t.load_id, p.decimals
    from {{ source('staging', 'twents_fonds_vouchers') }} t
    left join precision_ p on p.delivery_type = 'twents_fonds_vouchers' and p.column_name = 'vouchers_issued'
    union all
    select 'ikbindr_labels', i.municipality_code,
           cast(cast(extract(year from i.reference_date) as integer) as varchar) || 'MM'
               || lpad(cast(cast(extract(month from i.reference_date) as integer) as varchar), 2, '0'),
           cast(i.labelled_companies as double precision), 'Twents Fonds voor Vakmanschap', i.source_file, i.load_id,
           p.decimals
    from {{ source('staging', 'ikbindr_labels') }} i
    left join precision_ p on p.delivery_type = 'ikbindr_labels' and p.column_name = 'labelled_companies'
    union all
    select 'spanningsindicator', r.region_code, u.quarter, u.indicator_value, 'UWV', u.source_file, u.load_id,
           p.decimals
    from {{ source('staging', 'uwv_spanningsindicator') }} u
    join uwv_region r on r.label = u.area
    left join precision_ p on p.delivery_type = 'uwv_spanningsindicator' and p.column_name = 'indicator_value'
)
select
    x.indicator_code, x.region_code, x.period_code, {{ rounded('x.value', 'x.decimals') }} as value,
    cast(null as double precision) as numerator, cast(null as double precision) as denominator,
    'definitief' as status, x.source, x.source_table, x.load_id, d.fetched_at, d.provenance,
    cast(x.decimals as integer) as decimals, d.fetched_at as captured_at
from rows_ x
left join {{ ref('stg_delivery_load') }} d on d.load_id = x.load_id
