-- Regions that have figures or belong to the programme, with level, peer-group flag and size class, and
-- the eight CBS size classes GK1..GK8 (defined in staging.seed_size_class; figures are computed only for the
-- class of the programme's municipality, see int_indicator_cbs).
with codes as (
    select distinct region_code from {{ ref('fact_indicator_value') }}
    union
    select region_code from {{ source('staging', 'seed_programme_region') }}
    union
    select code from {{ source('staging', 'seed_size_class') }}
),
names as (
    -- validity and successor as CBS describes them in the tables' region code lists
    select region_code, max(name) as name, min(valid_from) as valid_from, max(valid_to) as valid_to,
        max(successor_code) as successor_code
    from {{ source('staging', 'cbs_region') }} group by region_code
    union all
    select code, label, cast(null as date), cast(null as date), cast(null as text)
    from {{ source('staging', 'seed_size_class') }}
),
latest_population as (
    select p.region_code, p.population, p.provenance
    from {{ ref('int_population') }} p
    join (select region_code, max(period_code) as period_code from {{ ref('int_population') }} group by region_code) m
      on m.region_code = p.region_code and m.period_code = p.period_code
),
programme as (select region_code, role from {{ source('staging', 'seed_programme_region') }})
select
    c.region_code as code,
    coalesce(n.name, c.region_code) as name,
    case substr(c.region_code, 1, 2)
        when 'GM' then 'gemeente' when 'CR' then 'corop' when 'PV' then 'provincie'
        when 'NL' then 'land' when 'LD' then 'landsdeel' when 'GK' then 'grootteklasse' else 'overig' end as level,
    case when pr.role in ('municipality', 'peer', 'peer_corop') then true else false end as in_peer_group,
    coalesce(pr.role, 'other') as programme_role,
    lp.population as population,
    case when substr(c.region_code, 1, 2) <> 'GM' or lp.population is null then null
         when lp.population < 20000 then '< 20.000'
         when lp.population < 50000 then '20.000 - 50.000'
         when lp.population < 100000 then '50.000 - 100.000'
         else '>= 100.000' end as population_class,
    lp.provenance as population_provenance,
    n.valid_from,
    n.valid_to,
    n.successor_code
from codes c
left join names n on n.region_code = c.region_code
left join programme pr on pr.region_code = c.region_code
left join latest_population lp on lp.region_code = c.region_code
