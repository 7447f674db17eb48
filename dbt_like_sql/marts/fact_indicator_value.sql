-- One row per indicator x region x period, with where the number came from.
-- depends_on: {{ ref('dim_indicator') }} (its relationship test reads it)
--
-- Precedence: where two sources give the same indicator, region and period (an indicator Kennispunt Twente
-- publishes in its Swing Open Data Service and also delivers as a kennispunt_twente spreadsheet), one value is
-- taken: the one with the strongest provenance class (staging.seed_provenance_class, from
-- ea_pipelines.provenance.RANK: live > partner delivery > capture > synthetic > illustrative); on equal
-- strength the one fetched or received last; then by source name, so the choice is deterministic.
-- precedence_note says which value was taken over which (Dutch, for the report); NULL when there was one.
-- value is stored at the precision of its source (decimals; README: precision), never with float noise.
with candidates as (
    select * from {{ ref('int_indicator_cbs') }}
    union all
    select * from {{ ref('int_indicator_delivery') }}
),
ranked as (
    select
        c.*,
        coalesce(p.label, c.provenance) as provenance_label,
        row_number() over (partition by c.indicator_code, c.region_code, c.period_code
                           order by coalesce(p.strength, -1) desc, c.fetched_at desc nulls last, c.source) as choice,
        count(*) over (partition by c.indicator_code, c.region_code, c.period_code) as candidates
    from candidates c
    left join {{ source('staging', 'seed_provenance_class') }} p on p.provenance = c.provenance
),
passed_over as (
    select indicator_code, region_code, period_code,
           string_agg(source || ' [' || provenance_label || ']', '; ' order by choice) as others
    from ranked
    where choice > 1
    group by indicator_code, region_code, period_code
)
select
    r.indicator_code, r.region_code, r.period_code, r.value, r.numerator, r.denominator, r.status, r.source,
    r.source_table, r.load_id, r.fetched_at, r.provenance, r.decimals, r.captured_at,
    case when r.candidates > 1 then
        'gekozen: ' || r.source || ' [' || r.provenance_label || ']; niet gekozen: ' || o.others
        || ' (regel: sterkste herkomst, bij gelijke herkomst de recentste)'
    end as precedence_note
from ranked r
left join passed_over o on o.indicator_code = r.indicator_code and o.region_code = r.region_code
    and o.period_code = r.period_code
where r.choice = 1
