-- Mean and median USD amount of closed-won deals, per closed_at period and dimension value.
-- Incremental by group: a night recomputes the (period, dimension value) rows its changed deals were or
-- are in, and keeps the rest (macros/incremental/periods_to_rebuild.sql).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        incremental_engine={
            'strategy': 'by_period', 'fact': 'fct_opportunities', 'key_column': 'opportunity_id',
            'date_column': 'closed_date', 'counted_when': '{row}.is_won', 'dimensions': ['all', 'segment', 'type'],
        },
    )
}}

with

won_deals as (
    -- only the columns read: each dimension's aggregate reads by_period again (a CTE kept in memory)
    select
        closed_date,
        segment,
        opportunity_type,
        amount_usd
    from {{ ref('fct_opportunities') }}
    where
        is_won and closed_date <= {{ night() }} and amount_usd is not null
        and {{ in_periods_to_rebuild('closed_date') }}
),

by_period as (
    {{ by_period('won_deals', 'closed_date', ['all', 'segment', 'type']) }}
),

aggregated as (
    {{ grouped_by_dimension('by_period', ['period_type', 'period_start'],
                            ['count(*) as won_deals', 'avg(amount_usd) as mean_deal_usd',
                             'percentile_cont(0.5) within group (order by amount_usd) as median_deal_usd'],
                            ['all', 'segment', 'type']) }}
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(dimension as text) as dimension,
        cast(dimension_value as text) as dimension_value,
        cast(won_deals as integer) as won_deals,
        cast(round(mean_deal_usd, 2) as numeric(18, 2)) as mean_deal_usd,
        cast(round(cast(median_deal_usd as numeric), 2) as numeric(18, 2)) as median_deal_usd,
        cast({{ night() }} as date) as loaded_through
    from aggregated
)

select * from final
