-- Forecast accuracy of every closed period (ended before the night), per scope, method and horizon:
-- the forecast made as of the period's first day, and late in it (quarters: 30 days before the end;
-- months: the 15th), against the period's actual bookings: exactly the won_usd kpi_win_rate reports
-- for the period and the scope's dimension (the mart gate reconciles the two). abs_pct_error =
-- |forecast - actual| / actual; bias = (forecast - actual) / actual (positive: over-forecast);
-- within_interval = lower <= actual <= upper.
{{ config(tags=['forecast']) }}

with

snapshots as (
    select * from {{ ref('fct_forecast_snapshots') }}
),

bookings as (
    select * from {{ ref('kpi_win_rate') }}
    where dimension in ('all', 'segment', 'region')
),

periods as (
    select distinct
        period_type,
        period_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', "case period_type when 'month' then 1 else 3 end",
                                                    'period_start')) }} as date
        ) as period_end
    from snapshots
),

closed_periods as (
    select * from periods
    where period_end < {{ night() }}
),

horizons as (
    select
        period_type,
        period_start,
        period_end,
        'period_start' as horizon,
        period_start as as_of_date
    from closed_periods
    union all
    select
        period_type,
        period_start,
        period_end,
        case period_type when 'quarter' then '30d_before_end' else 'mid_month' end as horizon,
        case period_type
            when 'quarter' then cast({{ dbt.dateadd('day', -30, 'period_end') }} as date)
            else cast({{ dbt.dateadd('day', 14, 'period_start') }} as date)
        end as as_of_date
    from closed_periods
),

actuals as materialized (
    -- read once: joined on three conditions, the compared rows are estimated at one, and Postgres then
    -- scanned kpi_win_rate once per forecast compared
    select
        period_type,
        period_start,
        won_usd as actual_usd,
        case dimension
            when 'all' then 'company'
            else dimension || ':' || dimension_value
        end as scope
    from bookings
),

compared as (
    select
        horizons.period_type,
        horizons.period_start,
        snapshots.scope,
        snapshots.method,
        horizons.horizon,
        horizons.as_of_date,
        snapshots.forecast_usd,
        snapshots.lower_usd,
        snapshots.upper_usd,
        coalesce(actuals.actual_usd, 0) as actual_usd
    from horizons
    inner join snapshots using (as_of_date, period_type, period_start)
    left join actuals using (period_type, period_start, scope)
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(scope as text) as scope,
        cast(method as text) as method,
        cast(horizon as text) as horizon,
        cast(as_of_date as date) as as_of_date,
        cast(forecast_usd as numeric(18, 2)) as forecast_usd,
        cast(lower_usd as numeric(18, 2)) as lower_usd,
        cast(upper_usd as numeric(18, 2)) as upper_usd,
        cast(round(actual_usd, 2) as numeric(18, 2)) as actual_usd,
        cast(round(abs(forecast_usd - actual_usd) / nullif(actual_usd, 0), 6) as numeric(14, 6)) as abs_pct_error,
        cast(round((forecast_usd - actual_usd) / nullif(actual_usd, 0), 6) as numeric(14, 6)) as bias,
        cast(actual_usd between lower_usd and upper_usd as boolean) as within_interval
    from compared
)

select * from final
