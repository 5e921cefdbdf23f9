-- Forecast snapshots: one row per as-of day, period (the as-of day's month and quarter through the
-- next four quarters), scope (company, segment, region) and method (crm_probability,
-- historical_stage_rate, time_series), with its 80% interval. Appended, never overwritten: a night
-- (or a backfill) replaces only its own as-of days, and every published as-of day is carried over.
-- Calibrated on past errors (no look-ahead: periods closed by the as-of day): each method's raw forecast
-- is corrected by the mean log error of its earlier forecasts of the same horizon, scope and period type
-- over the last `forecast_calibration_periods` closed periods (shrunk towards none while few are known),
-- and the interval spans the errors' 80% distance from that mean (split conformal, its level raised for
-- the few periods known). Until `forecast_calibration_min_periods` are known, the method's own forecast
-- stands, its interval at least as wide as 80% of the method's errors on the periods of its type and scope
-- closed by then, and at least `forecast_uncalibrated_sd` wide.
{{
    config(
        materialized='incremental',
        unique_key='as_of_date',
        incremental_engine={'strategy': 'by_slice'},
        tags=['forecast'],
    )
}}
{%- set kept = published_relation_with_column('raw_forecast_usd') %}

with

as_of_dates as (
    select * from {{ ref('int_forecast_as_of_dates') }}
),

pipeline_methods as (
    select * from {{ ref('int_forecast_pipeline_methods') }}
),

time_series as (
    select * from {{ ref('stg_forecast__time_series_forecasts') }}
    where as_of_date in (select as_of_dates.as_of_date from as_of_dates)
),

bookings as (
    select * from {{ ref('kpi_win_rate') }}
    where dimension in ('all', 'segment', 'region')
),

raw_forecasts as (
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        method,
        forecast_usd,
        lower_usd,
        upper_usd,
        bookings_to_date_usd
    from pipeline_methods
    union all
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        method,
        forecast_usd,
        lower_usd,
        upper_usd,
        0 as bookings_to_date_usd
    from time_series
),

earlier_forecasts as (
    -- every raw forecast known: tonight's (a backfill's earlier days) and those kept from earlier nights
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        method,
        forecast_usd
    from raw_forecasts
    {%- for relation in kept %}
        union all
        select
            as_of_date,
            period_type,
            period_start,
            scope,
            method,
            raw_forecast_usd as forecast_usd
        from {{ relation }}
        where as_of_date not in (select as_of_dates.as_of_date from as_of_dates)
    {%- endfor %}
),

actuals as (
    select
        period_type,
        period_start,
        won_usd as actual_usd,
        case dimension when 'all' then 'company' else dimension || ':' || dimension_value end as scope
    from bookings
),

errors as materialized (
    -- per method, scope, horizon and closed period: how far the forecasts of that horizon were off (log)
    select
        earlier_forecasts.method,
        earlier_forecasts.scope,
        earlier_forecasts.period_type,
        earlier_forecasts.period_start,
        {{ forecast_horizon('earlier_forecasts.as_of_date', 'earlier_forecasts.period_type',
                            'earlier_forecasts.period_start') }} as horizon,
        cast(
            {{ dbt.dateadd('month', period_months('earlier_forecasts.period_type'), 'earlier_forecasts.period_start') }}
            as date
        ) as period_after,
        avg(ln((coalesce(actuals.actual_usd, 0) + 1) / (earlier_forecasts.forecast_usd + 1))) as log_error
    from earlier_forecasts
    left join actuals using (period_type, period_start, scope)
    where
        {{ dbt.dateadd('month', period_months('earlier_forecasts.period_type'), 'earlier_forecasts.period_start') }}
        <= {{ night() }}
    group by
        earlier_forecasts.method, earlier_forecasts.scope, earlier_forecasts.period_type,
        earlier_forecasts.period_start, horizon, period_after
),

raw_with_horizon as (
    select
        *,
        {{ forecast_horizon('as_of_date', 'period_type', 'period_start') }} as horizon
    from raw_forecasts
),

known_errors as (
    -- each forecast's earlier errors of its horizon, closed by its as-of day (what was known then), newest first
    select
        raw_with_horizon.as_of_date,
        raw_with_horizon.period_type,
        raw_with_horizon.period_start,
        raw_with_horizon.scope,
        raw_with_horizon.method,
        errors.log_error,
        row_number() over (
            partition by
                raw_with_horizon.as_of_date, raw_with_horizon.period_type, raw_with_horizon.period_start,
                raw_with_horizon.scope, raw_with_horizon.method
            order by errors.period_start desc
        ) as recency
    from raw_with_horizon
    inner join errors
        on
            raw_with_horizon.method = errors.method
            and raw_with_horizon.scope = errors.scope
            and raw_with_horizon.period_type = errors.period_type
            and raw_with_horizon.horizon = errors.horizon
            and raw_with_horizon.as_of_date >= errors.period_after
),

recent_errors as (
    select
        *,
        count(*) over forecast_row as periods,
        -- the correction applied: the mean error shrunk towards none while few periods are known (a method's
        -- early errors, on a short history, overstate its later ones), at most a factor e either way
        least(greatest(
            count(*) over forecast_row * avg(log_error) over forecast_row
            / (count(*) over forecast_row + {{ var('forecast_calibration_prior_weight') }}),
            -1
        ), 1) as applied_error
    from known_errors
    where recency <= {{ var('forecast_calibration_periods') }}
    window forecast_row as (partition by as_of_date, period_type, period_start, scope, method)
),

error_statistics as (
    -- the correction, and how far from it the errors strayed: the 80% quantile of the distances, its level
    -- raised by (n + 1) / n for the few periods known (split conformal), so the interval keeps its coverage
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        method,
        periods,
        applied_error,
        percentile_disc(least(1.0, 0.8 * (periods + 1) / periods))
        within group (order by abs(log_error - applied_error)) as error_distance
    from recent_errors
    group by as_of_date, period_type, period_start, scope, method, periods, applied_error
),

calibrated as (
    select
        raw_with_horizon.*,
        coalesce(error_statistics.applied_error, 0) as mean_error,
        coalesce(error_statistics.periods, 0) as calibration_periods,
        coalesce(error_statistics.error_distance, 0) as error_distance
    from raw_with_horizon
    left join error_statistics using (as_of_date, period_type, period_start, scope, method)
),

method_error_sizes as (
    -- a forecast not yet calibrated: the 80% size of its method's errors on every period of its type and scope
    -- closed by its as-of day, whatever the horizon (a short history's errors, not a fixed width)
    select
        calibrated.as_of_date,
        calibrated.period_type,
        calibrated.period_start,
        calibrated.scope,
        calibrated.method,
        percentile_disc(0.8) within group (order by abs(errors.log_error)) as error_size
    from calibrated
    inner join errors
        on
            calibrated.method = errors.method
            and calibrated.scope = errors.scope
            and calibrated.period_type = errors.period_type
            and calibrated.as_of_date >= errors.period_after
    where calibrated.calibration_periods < {{ var('forecast_calibration_min_periods') }}
    group by
        calibrated.as_of_date, calibrated.period_type, calibrated.period_start, calibrated.scope,
        calibrated.method
),

bounded as (
    select
        calibrated.as_of_date,
        calibrated.period_type,
        calibrated.period_start,
        calibrated.scope,
        calibrated.method,
        calibrated.forecast_usd,
        calibrated.lower_usd,
        calibrated.upper_usd,
        calibrated.bookings_to_date_usd,
        calibrated.calibration_periods,
        calibrated.mean_error,
        -- the error's 80% distance (calibrated) or size (not yet), at most a factor e^0.75 either way
        least(calibrated.error_distance, 0.75) as spread,
        least(
            greatest(coalesce(method_error_sizes.error_size, 0), 1.2816 * {{ var('forecast_uncalibrated_sd') }}),
            0.75
        ) as uncalibrated_spread,
        calibrated.calibration_periods >= {{ var('forecast_calibration_min_periods') }} as is_calibrated
    from calibrated
    left join method_error_sizes using (as_of_date, period_type, period_start, scope, method)
),

forecasts as (
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        method,
        forecast_usd as raw_forecast_usd,
        calibration_periods,
        case when is_calibrated then forecast_usd * exp(mean_error) else forecast_usd end as forecast_usd,
        greatest(
            bookings_to_date_usd,
            case
                when is_calibrated
                    then forecast_usd * exp(mean_error - spread)
                else least(lower_usd, forecast_usd * exp(-uncalibrated_spread))
            end
        ) as lower_usd,
        case
            when is_calibrated
                then forecast_usd * exp(mean_error + spread)
            else greatest(upper_usd, forecast_usd * exp(uncalibrated_spread))
        end as upper_usd
    from bounded
),

final as (
    select
        cast(as_of_date as date) as as_of_date,
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(scope as text) as scope,
        cast(method as text) as method,
        -- numeric(18, 2) holds below 1e16: a bound, never a night stopped on an overflow
        cast(round(least(forecast_usd, 1e15), 2) as numeric(18, 2)) as forecast_usd,
        cast(round(least(lower_usd, forecast_usd, 1e15), 2) as numeric(18, 2)) as lower_usd,
        cast(round(least(greatest(upper_usd, forecast_usd), 1e15), 2) as numeric(18, 2)) as upper_usd,
        cast(round(raw_forecast_usd, 2) as numeric(18, 2)) as raw_forecast_usd,
        cast(calibration_periods as integer) as calibration_periods
    from forecasts
)

select * from final
{{ published_rows_since('as_of_date', fill_gaps=true) }}
