-- Annual recurring revenue per period (month and quarter) and dimension (all, segment, region): the
-- ACV in USD of the contracts active at the end of the period, or on the night for the current one.
-- Counted from the days contracts start and stop being active (a running total per segment and
-- region), not by testing every contract against every period end (a join of every pair): this reads
-- each contract twice, and sums the changes per day first.
with

contracts as (
    select * from {{ ref('fct_contracts') }}
    where signed_at is not null and not is_amendment
),

calendar as (
    select * from {{ ref('dim_date') }}
),

period_ends as (
    select distinct
        period_types.period_type,
        case period_types.period_type when 'month' then calendar.month_start else calendar.quarter_start end
            as period_start
    from calendar
    cross join {{ period_types() }} as period_types
    where calendar.date_day <= {{ night() }}
),

measured_on as (
    select
        period_type,
        period_start,
        least(
            cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', "case period_type when 'month' then 1 else 3 end",
                                                         'period_start')) }} as date),
            {{ night() }}
        ) as measured_on
    from period_ends
),

spans as (
    -- active from the day a contract is both signed and started, until (excluding) the day after its
    -- end or the day it was terminated, whichever comes first
    select
        coalesce(segment, 'unknown') as by_segment,
        coalesce(region, 'unknown') as by_region,
        coalesce(acv_usd, 0) as acv_usd,
        greatest(cast(signed_at as date), start_date) as active_from,
        least(cast(end_date + 1 as date), cast(terminated_at as date)) as active_until
    from contracts
    where start_date is not null and end_date is not null
),

changes as (
    select
        by_segment,
        by_region,
        active_from as change_date,
        1 as contracts_change,
        acv_usd as arr_change
    from spans
    where active_from < active_until
    union all
    select
        by_segment,
        by_region,
        active_until as change_date,
        -1 as contracts_change,
        -acv_usd as arr_change
    from spans
    where active_from < active_until
),

daily_changes as (
    -- summed per cell and day before the running total, which otherwise sorted every contract's two
    -- changes; a running total over the days is the same at every day
    select
        by_segment,
        by_region,
        change_date,
        sum(contracts_change) as contracts_change,
        sum(arr_change) as arr_change
    from changes
    group by by_segment, by_region, change_date
),

measuring_days as (
    select distinct measured_on from measured_on
),

cells as (
    select distinct
        by_segment,
        by_region
    from daily_changes
),

series as (
    -- each cell's changes, and a zero change on every measuring day, so the running total has a row there
    select
        by_segment,
        by_region,
        change_date,
        contracts_change,
        arr_change
    from daily_changes
    union all
    select
        cells.by_segment,
        cells.by_region,
        measuring_days.measured_on as change_date,
        0 as contracts_change,
        0 as arr_change
    from cells
    cross join measuring_days
),

running as (
    select
        by_segment,
        by_region,
        change_date,
        sum(contracts_change) over (partition by by_segment, by_region order by change_date) as active_contracts,
        sum(arr_change) over (partition by by_segment, by_region order by change_date) as arr_usd
    from series
),

active_cells as (
    select distinct
        measured_on.period_type,
        measured_on.period_start,
        measured_on.measured_on,
        running.by_segment,
        running.by_region,
        running.active_contracts,
        running.arr_usd
    from measured_on
    inner join running
        on measured_on.measured_on = running.change_date
    where running.active_contracts > 0
),

aggregated as (
    select
        period_type,
        period_start,
        measured_on,
        {{ dimension_of_grouping(['all', 'segment', 'region']) }} as dimension,
        {{ dimension_value_of_grouping(['all', 'segment', 'region']) }} as dimension_value,
        sum(active_contracts) as active_contracts,
        sum(arr_usd) as arr_usd
    from active_cells
    group by {{ dimension_grouping_sets(['period_type', 'period_start', 'measured_on'], ['all', 'segment', 'region']) }}
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(measured_on as date) as measured_on,
        cast(dimension as text) as dimension,
        cast(dimension_value as text) as dimension_value,
        cast(active_contracts as integer) as active_contracts,
        cast(arr_usd as numeric(18, 2)) as arr_usd
    from aggregated
)

select * from final
