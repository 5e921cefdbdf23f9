-- Annual recurring revenue per period (month and quarter) and dimension (all, segment, region): the
-- ACV in USD of the contracts active at the end of the period, or on the night for the current one.
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

active as (
    select
        measured_on.period_type,
        measured_on.period_start,
        measured_on.measured_on,
        contracts.acv_usd,
        coalesce(contracts.segment, 'unknown') as by_segment,
        coalesce(contracts.region, 'unknown') as by_region
    from measured_on
    inner join contracts
        on
            cast(contracts.signed_at as date) <= measured_on.measured_on
            and measured_on.measured_on >= contracts.start_date
            and measured_on.measured_on <= contracts.end_date
            and (contracts.terminated_at is null or cast(contracts.terminated_at as date) > measured_on.measured_on)
),

aggregated as (
    select
        period_type,
        period_start,
        measured_on,
        {{ dimension_of_grouping(['all', 'segment', 'region']) }} as dimension,
        {{ dimension_value_of_grouping(['all', 'segment', 'region']) }} as dimension_value,
        count(*) as active_contracts,
        coalesce(sum(acv_usd), 0) as arr_usd
    from active
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
