-- Which method to trust: per method, period type, horizon and scope, over all closed periods and over
-- the last four: mean absolute percentage error, mean bias and the share of actuals inside the 80%
-- interval (well calibrated near 0.8).
{{ config(tags=['forecast']) }}

with

accuracy as (
    select * from {{ ref('kpi_forecast_accuracy') }}
    where abs_pct_error is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by method, period_type, horizon, scope order by period_start desc
        ) as recency
    from accuracy
),

windows as (
    select
        'all' as window_name,
        ranked.*
    from ranked
    union all
    select
        'last_4' as window_name,
        ranked.*
    from ranked
    where recency <= 4
),

aggregated as (
    select
        method,
        period_type,
        horizon,
        scope,
        window_name,
        count(*) as periods,
        avg(abs_pct_error) as mape,
        avg(bias) as mean_bias,
        avg(case when within_interval then 1.0 else 0.0 end) as interval_coverage
    from windows
    group by method, period_type, horizon, scope, window_name
),

final as (
    select
        cast(method as text) as method,
        cast(period_type as text) as period_type,
        cast(horizon as text) as horizon,
        cast(scope as text) as scope,
        cast(window_name as text) as window_name,
        cast(periods as integer) as periods,
        cast(round(mape, 6) as numeric(14, 6)) as mape,
        cast(round(mean_bias, 6) as numeric(14, 6)) as mean_bias,
        cast(round(interval_coverage, 6) as numeric(8, 6)) as interval_coverage
    from aggregated
)

select * from final
