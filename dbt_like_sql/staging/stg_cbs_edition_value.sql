-- CBS observations with a value, one edition per period. A catalogue entry whose table CBS republishes
-- per region classification (85969NED "regio (indeling 2023)", 86111NED "(indeling 2024)", ...) loads
-- every edition as its own table (staging.cbs_edition lists them, oldest rank 1). CBS advises not to
-- splice editions with different region classifications, so for each period the NEWEST edition that has
-- that period supplies ALL of its rows (every measure and region); an older edition only supplies the
-- periods no newer edition has. Editions are never mixed within one period.
-- table_id is the catalogue entry's table id (what indicators.yaml names); edition_table_id the edition
-- the row comes from. A table without editions is its own single edition.
-- An edition read with its own measure codes (catalogue edition_readings: a v4 edition's concept codes such as
-- 3000795_2) has its codes read as the entry's measures (staging.cbs_edition_measure); staging keeps CBS's codes.
with v as (select * from {{ ref('stg_cbs_value') }}),
editions as (select * from {{ source('staging', 'cbs_edition') }}),
aliases as (select * from {{ source('staging', 'cbs_edition_measure') }}),
tagged as (
    select
        coalesce(e.table_id, v.table_id) as table_id,
        v.table_id as edition_table_id,
        coalesce(e.edition_rank, 1) as edition_rank,
        coalesce(a.entry_measure_code, v.measure_code) as measure_code, v.region_code, v.period_code,
        v.other_dimensions, v.value, v.status, v.load_id, v.fetched_at, v.provenance, v.source,
        v.decimals, v.captured_at
    from v
    left join editions e on e.edition_table_id = v.table_id
    left join aliases a on a.edition_table_id = v.table_id and a.measure_code = v.measure_code
),
chosen as (
    select table_id, period_code, max(edition_rank) as edition_rank
    from tagged
    group by table_id, period_code
)
select
    t.table_id, t.edition_table_id, t.measure_code, t.region_code, t.period_code, t.other_dimensions, t.value,
    t.status, t.load_id, t.fetched_at, t.provenance, t.source, t.decimals, t.captured_at
from tagged t
-- equality on an expression (a table without periods has null period_code): lets both engines hash-join
join chosen c on c.table_id = t.table_id and c.edition_rank = t.edition_rank
    and coalesce(c.period_code, '') = coalesce(t.period_code, '')
