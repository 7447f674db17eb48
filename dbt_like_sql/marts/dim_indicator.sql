-- The indicators of the programme: the eleven kernindicatoren and the context figures.
select
    code, name, strategic_goal, strategic_goal_nr, operational_goal, unit, higher_is_better, target_rule, target_kind,
    target_value, source, frequency, is_kernindicator, sort_order, region_role
from {{ source('staging', 'seed_indicator') }}
