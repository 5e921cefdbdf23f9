-- One rate per currency and day up to the night: the latest published rate on or before
-- that day (rates are not published on weekends and holidays). USD is always 1.
{{ config(materialized='table') }}

with

rates as (
    select * from {{ ref('stg_crm__fx_rates') }}
    where rate_date <= {{ night() }}
),

currencies as (
    select
        currency,
        min(rate_date) as first_rate_date
    from rates
    group by currency
    union
    select
        'USD' as currency,
        coalesce(min(rate_date), {{ night() }}) as first_rate_date
    from rates
),

calendar as (
    select
        currencies.currency,
        cast(calendar_day as date) as rate_date
    from currencies
    cross join lateral generate_series(
        currencies.first_rate_date, {{ night() }}, interval '1 day'
    ) as calendar_day
),

calendar_with_published_rates as (
    select
        calendar.currency,
        calendar.rate_date,
        rates.rate_to_usd,
        count(rates.rate_to_usd) over (
            partition by calendar.currency order by calendar.rate_date
        ) as rate_group
    from calendar
    left join rates
        on calendar.currency = rates.currency and calendar.rate_date = rates.rate_date
),

carried_forward as (
    select
        currency,
        rate_date,
        coalesce(
            first_value(rate_to_usd) over (partition by currency, rate_group order by rate_date),
            case when currency = 'USD' then 1 end
        ) as rate_to_usd
    from calendar_with_published_rates
)

select * from carried_forward
