-- Win rate by count and by USD amount, per closed_at period and dimension value.
-- Kept by deltas: a night adds the deals its changed rows close and subtracts what their earlier
-- versions had added, per period and dimension value, and keeps the other rows (macros/incremental/kept_by_deltas.sql).
{{
    config(
        materialized='incremental',
        unique_key=['period_type', 'period_start', 'dimension', 'dimension_value'],
        incremental_engine={
            'strategy': 'by_deltas', 'fact': 'fct_opportunities', 'kept_while': 'won_deals + lost_deals',
        },
    )
}}

with

closed_deals as (
    select
        *,
        sign * amount_usd as signed_amount_usd
    from ({{ signed_fact_rows(ref('fct_opportunities')) }}) as signed_rows
    where is_closed and closed_date <= as_of
),

closed_by_month as (
    {{ counted_by_month('closed_deals', 'closed_date', columns=['is_won'], sums=['sign', 'signed_amount_usd']) }}
),

by_period as (
    {{ by_period('closed_by_month', 'closed_date') }}
),

deltas as (
    select
        period_type,
        period_start,
        {{ dimension_of_grouping() }} as dimension,
        {{ dimension_value_of_grouping() }} as dimension_value,
        sum(case when is_won then sign else 0 end) as won_deals,
        sum(case when is_won then 0 else sign end) as lost_deals,
        coalesce(sum(case when is_won then signed_amount_usd end), 0) as won_usd,
        coalesce(sum(case when is_won then 0 else signed_amount_usd end), 0) as lost_usd
    from by_period
    group by {{ dimension_grouping_sets(['period_type', 'period_start']) }}
),

summed as (
    {{ held_plus_deltas('deltas', ['won_deals', 'lost_deals', 'won_usd', 'lost_usd']) }}
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
    from summed
)

select * from final
