-- Win rate by count and by USD amount, per closed_at period and dimension value.
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
    where is_closed and closed_date <= {{ night() }} and {{ in_periods_to_rebuild('closed_date') }}
),

closed_by_month as (
    {{ counted_by_month('closed_deals', 'closed_date', columns=['is_won'], sums=['amount_usd']) }}
),

by_period as (
    {{ by_period('closed_by_month', 'closed_date') }}
),

aggregated as (
    select
        period_type,
        period_start,
        {{ dimension_of_grouping() }} as dimension,
        {{ dimension_value_of_grouping() }} as dimension_value,
        sum(case when is_won then row_count else 0 end) as won_deals,
        sum(case when is_won then 0 else row_count end) as lost_deals,
        coalesce(sum(case when is_won then amount_usd end), 0) as won_usd,
        coalesce(sum(case when is_won then 0 else amount_usd end), 0) as lost_usd
    from by_period
    group by {{ dimension_grouping_sets(['period_type', 'period_start']) }}
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(dimension as text) as dimension,
        cast(dimension_value as text) as dimension_value,
        cast(won_deals as integer) as won_deals,
        cast(lost_deals as integer) as lost_deals,
        cast(round({{ safe_divide('won_deals', 'won_deals + lost_deals') }}, 6) as numeric(8, 6)) as win_rate,
        cast(round(won_usd, 2) as numeric(18, 2)) as won_usd,
        cast(round(lost_usd, 2) as numeric(18, 2)) as lost_usd,
        cast(round({{ safe_divide('won_usd', 'won_usd + lost_usd') }}, 6) as numeric(8, 6)) as win_rate_by_amount,
        cast({{ night() }} as date) as loaded_through
    from aggregated
    where {{ is_period_to_rebuild() }}
)

select * from final
