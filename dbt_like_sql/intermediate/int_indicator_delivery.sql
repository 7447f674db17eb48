-- Indicator values from partner deliveries (staging.<delivery type>), with the time they were received.
with kp as (
    select indicator_code, region_code, period, value, source_note, load_id, source_file
    from {{ source('staging', 'kennispunt_twente') }}
),
uwv_region as (
    select region_code, label from {{ source('staging', 'seed_programme_region') }}
    where role in ('peer_corop', 'country')
),
rows_ as (
    select kp.indicator_code, kp.region_code, kp.period as period_code, kp.value,
           'Kennispunt Twente' as source, kp.source_file as source_table, kp.load_id
    from kp
    union all
    select 'mkb_ranking_positie', m.municipality_code, m.edition_year, cast(m.overall_rank as double precision),
           'MKB-Nederland', m.source_file, m.load_id
    from {{ source('staging', 'mkb_ranking') }} m
    union all
    select 'tevredenheid_dienstverlening', m.municipality_code, m.edition_year, m.satisfaction_score,
           'MKB-Nederland', m.source_file, m.load_id
    from {{ source('staging', 'mkb_ranking') }} m
    union all
    select 'scholingscheques', t.municipality_code, t.period, cast(t.vouchers_issued as double precision),
           'Twents Fonds voor Vakmanschap', t.source_file, t.load_id
    from {{ source('staging', 'twents_fonds_vouchers') }} t
    union all
    select 'ikbindr_labels', i.municipality_code,
           cast(cast(extract(year from i.reference_date) as integer) as varchar) || 'MM'
               || lpad(cast(cast(extract(month from i.reference_date) as integer) as varchar), 2, '0'),
           cast(i.labelled_companies as double precision), 'Twents Fonds voor Vakmanschap', i.source_file, i.load_id
    from {{ source('staging', 'ikbindr_labels') }} i
    union all
    select 'spanningsindicator', r.region_code, u.quarter, u.indicator_value, 'UWV', u.source_file, u.load_id
    from {{ source('staging', 'uwv_spanningsindicator') }} u
    join uwv_region r on r.label = u.area
)
select
    x.indicator_code, x.region_code, x.period_code, x.value,
    cast(null as double precision) as numerator, cast(null as double precision) as denominator,
    'definitief' as status, x.source, x.source_table, x.load_id, d.fetched_at, d.provenance
from rows_ x
left join {{ ref('stg_delivery_load') }} d on d.load_id = x.load_id
