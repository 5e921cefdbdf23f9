{{ config(tags=['forecast']) }}

with

source as (
    select * from {{ source('forecast', 'time_series_forecasts') }}
),

renamed as (
    select
        cast(as_of_date as date) as as_of_date,
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(scope as text) as scope,
        cast(method as text) as method,
        cast(forecast_usd as numeric(18, 2)) as forecast_usd,
        cast(lower_usd as numeric(18, 2)) as lower_usd,
        cast(upper_usd as numeric(18, 2)) as upper_usd,
        cast(fitted_months as integer) as fitted_months
    from source
)

select * from renamed
