-- Periods that have figures: type, first and last day, a Dutch label.
with codes as (select distinct period_code as code from {{ ref('fact_indicator_value') }}),
parsed as (
    select
        code,
        cast(substr(code, 1, 4) as integer) as y,
        substr(code, 5, 2) as kind,
        cast(substr(code, 7, 2) as integer) as n
    from codes
)
select
    code,
    case kind when 'JJ' then 'year' when 'KW' then 'quarter' when 'MM' then 'month' end as period_type,
    case kind when 'JJ' then make_date(y, 1, 1) when 'KW' then make_date(y, 3 * n - 2, 1)
              else make_date(y, n, 1) end as start_date,
    case kind when 'JJ' then make_date(y, 12, 31)
              when 'KW' then cast(make_date(y, 3 * n - 2, 1) + interval '3 month' - interval '1 day' as date)
              else cast(make_date(y, n, 1) + interval '1 month' - interval '1 day' as date) end as end_date,
    case kind when 'JJ' then cast(y as varchar)
              when 'KW' then cast(y as varchar) || ' K' || cast(n as varchar)
              else case n when 1 then 'januari' when 2 then 'februari' when 3 then 'maart' when 4 then 'april'
                          when 5 then 'mei' when 6 then 'juni' when 7 then 'juli' when 8 then 'augustus'
                          when 9 then 'september' when 10 then 'oktober' when 11 then 'november'
                          else 'december' end || ' ' || cast(y as varchar) end as label,
    y as year
from parsed
