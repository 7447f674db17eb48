-- Population on 1 January (CBS 03759ned, measure M000352), the denominator of per-inhabitant indicators.
select region_code, period_code, value as population, status, load_id, fetched_at, provenance
from {{ ref('stg_cbs_edition_value') }}  -- one edition per period
where table_id = '03759ned' and measure_code = 'M000352'
