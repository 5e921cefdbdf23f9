-- Sales cycle of closed-won deals (whole days from created_at to closed_at), mean and median, per
-- closed_at period and dimension value. Deals are counted per cycle length first (a hash aggregate
-- per dimension) and the median is read from the counts (macros/utils/median_from_counts.sql).
-- Incremental by group: a night recomputes the (period, dimension value) rows its changed deals were or
-- are in, and keeps the rest (macros/incremental/periods_to_rebuild.sql): a deal whose account changed segment
-- recomputes its periods' two segment rows, not the whole periods.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        incremental_engine={
            'strategy': 'by_period', 'fact': 'fct_opportunities', 'key_column': 'opportunity_id',
            'date_column': 'closed_date', 'counted_when': '{row}.is_won',
            'dimensions': ['all', 'segment', 'type', 'region', 'rep'],
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
        region,
        employee_id,
        cycle_days
    from {{ ref('fct_opportunities') }}
    where
        is_won and closed_date <= {{ night() }} and cycle_days is not null
        and {{ in_periods_to_rebuild('closed_date') }}
),

by_period as (
    {{ by_period('won_deals', 'closed_date') }}
),

cycle_lengths as (
    {{ grouped_by_dimension('by_period', ['period_type', 'period_start', 'cycle_days'], ['count(*) as won_deals'],
                            ['all', 'segment', 'type', 'region', 'rep']) }}
),

medians as (
    {{ median_from_counts('cycle_lengths', ['period_type', 'period_start', 'dimension', 'dimension_value'],
                          'cycle_days', 'won_deals') }}
),

aggregated as (
    select
        period_type,
        period_start,
        dimension,
        dimension_value,
        sum(won_deals) as won_deals,
        sum(cycle_days * won_deals) / sum(won_deals) as mean_cycle_days
    from cycle_lengths
    group by period_type, period_start, dimension, dimension_value
),

final as (
    select
        cast(aggregated.period_type as text) as period_type,
        cast(aggregated.period_start as date) as period_start,
        cast(aggregated.dimension as text) as dimension,
        cast(aggregated.dimension_value as text) as dimension_value,
        cast(aggregated.won_deals as integer) as won_deals,
        cast(round(aggregated.mean_cycle_days, 2) as numeric(10, 2)) as mean_cycle_days,
        cast(round(cast(medians.median_value as numeric), 2) as numeric(10, 2)) as median_cycle_days,
        cast({{ night() }} as date) as loaded_through
    from aggregated
    left join medians using (period_type, period_start, dimension, dimension_value)
)

select * from final
