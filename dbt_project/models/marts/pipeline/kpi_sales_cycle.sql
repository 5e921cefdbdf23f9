-- Sales cycle of closed-won deals (whole days from created_at to closed_at), mean and median, per
-- closed_at period and dimension value.
with

won_deals as (
    select * from {{ ref('fct_opportunities') }}
    where is_won and closed_date <= {{ night() }} and cycle_days is not null
),

by_period as (
    {{ by_period('won_deals', 'closed_date') }}
),

aggregated as (
    select
        period_type,
        period_start,
        {{ dimension_of_grouping() }} as dimension,
        {{ dimension_value_of_grouping() }} as dimension_value,
        count(*) as won_deals,
        avg(cycle_days) as mean_cycle_days,
        percentile_cont(0.5) within group (order by cycle_days) as median_cycle_days
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
        cast(round(mean_cycle_days, 2) as numeric(10, 2)) as mean_cycle_days,
        cast(round(cast(median_cycle_days as numeric), 2) as numeric(10, 2)) as median_cycle_days
    from aggregated
)

select * from final
