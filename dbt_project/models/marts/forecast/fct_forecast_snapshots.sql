-- Forecast snapshots: one row per as-of day, period (the as-of day's month and quarter through the
-- next four quarters), scope (company, segment, region) and method (crm_probability,
-- historical_stage_rate, time_series), with its 80% interval. Appended, never overwritten: a night
-- (or a backfill) replaces only its own as-of days, and every published as-of day is carried over.
{{
    config(
        materialized='incremental',
        unique_key='as_of_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['forecast'],
    )
}}

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

forecasts as (
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        method,
        forecast_usd,
        lower_usd,
        upper_usd
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
        upper_usd
    from time_series
),

final as (
    select
        cast(as_of_date as date) as as_of_date,
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(scope as text) as scope,
        cast(method as text) as method,
        cast(round(forecast_usd, 2) as numeric(18, 2)) as forecast_usd,
        cast(round(lower_usd, 2) as numeric(18, 2)) as lower_usd,
        cast(round(upper_usd, 2) as numeric(18, 2)) as upper_usd
    from forecasts
)

select * from final
{{ published_rows_since('as_of_date', fill_gaps=true) }}
