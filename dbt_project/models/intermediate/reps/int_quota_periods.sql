-- Bookings quotas per rep as quarter rows and month rows (a month's quota is its quarter's / 3),
-- in USD at the rate of the period's first day, for periods that have started by the night.
-- A table (41k rows at --scale 1), analysed: as a view over the raw quotas' latest versions and a
-- generate_series per quarter, Postgres took it for 546k rows and the quota months for 545M, and
-- planned the KPIs on it (quota attainment, territory, ramp time, coverage) for that.
{{ config(materialized='table', post_hook='analyze {{ this }}') }}
with

quotas as (
    select * from {{ ref('stg_hr__quotas') }}
    where quota_type = 'bookings'
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

quarters as (
    select
        quotas.employee_id,
        'quarter' as period_type,
        quotas.period_start,
        quotas.period_end,
        quotas.quota_amount * fx_rates.rate_to_usd as quota_usd
    from quotas
    left join fx_rates
        on quotas.currency = fx_rates.currency and quotas.period_start = fx_rates.rate_date
),

months as (
    select
        quarters.employee_id,
        'month' as period_type,
        cast(month_start as date) as period_start,
        cast(month_start + interval '1 month' - interval '1 day' as date) as period_end,
        quarters.quota_usd / 3 as quota_usd
    from quarters
    cross join lateral generate_series(
        quarters.period_start, quarters.period_end, interval '1 month'
    ) as month_start
),

periods as (
    select * from quarters
    union all
    select * from months
)

select * from periods
where period_start <= {{ night() }}
