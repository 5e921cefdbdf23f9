-- Close rate: of the closed deals that reached proposal, the share won; per closed_at period and
-- dimension value.
-- Incremental by period: a night recomputes the months and quarters its changed deals were or are
-- closed in, and keeps the rest (macros/periods_to_rebuild.sql).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ prepare_periods_to_rebuild(ref('fct_opportunities'), 'opportunity_id', 'closed_date') }}",
    )
}}

with

closed_deals as (
    select * from {{ ref('fct_opportunities') }}
    where is_closed and reached_proposal and closed_date <= {{ night() }} and {{ in_periods_to_rebuild('closed_date') }}
),

by_period as (
    {{ by_period('closed_deals', 'closed_date') }}
),

aggregated as (
    select
        period_type,
        period_start,
        {{ dimension_of_grouping() }} as dimension,
        {{ dimension_value_of_grouping() }} as dimension_value,
        count(*) as closed_from_proposal,
        sum(case when is_won then 1 else 0 end) as won_from_proposal
    from by_period
    group by {{ dimension_grouping_sets(['period_type', 'period_start']) }}
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(dimension as text) as dimension,
        cast(dimension_value as text) as dimension_value,
        cast(closed_from_proposal as integer) as closed_from_proposal,
        cast(won_from_proposal as integer) as won_from_proposal,
        cast(round({{ safe_divide('won_from_proposal', 'closed_from_proposal') }}, 6) as numeric(8, 6)) as close_rate,
        cast({{ night() }} as date) as loaded_through
    from aggregated
    where {{ is_period_to_rebuild() }}
)

select * from final
