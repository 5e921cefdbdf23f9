-- Bookings quotas per rep as month and quarter rows, for periods started by the night (SPEC: quota
-- attainment). A quota row covers period_start..period_end (a month, a quarter, a year or any span): it is
-- converted to USD at the rate of its first day and spread evenly over the calendar months it touches; a
-- month's quota is the sum of the shares of the rows touching it, a quarter's the sum of its months'.
-- A table, analysed: the KPIs that read it (attainment, territory, ramp, coverage) are planned on its size.
{{ config(materialized='table') }}
with

quotas as (
    select * from {{ ref('stg_hr__quotas') }}
    where quota_type = 'bookings'
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

quotas_in_usd as (
    select
        quotas.employee_id,
        quotas.period_start,
        quotas.period_end,
        quotas.quota_amount * fx_rates.rate_to_usd as quota_usd
    from quotas
    left join fx_rates
        on quotas.currency = fx_rates.currency and quotas.period_start = fx_rates.rate_date
),

quota_months as (
    select
        quotas_in_usd.employee_id,
        quotas_in_usd.period_start as quota_start,
        quotas_in_usd.quota_usd,
        cast(month_start as date) as month_start,
        count(*) over (partition by quotas_in_usd.employee_id, quotas_in_usd.period_start) as months_covered
    from quotas_in_usd
    cross join lateral generate_series(
        {{ dbt.date_trunc('month', 'quotas_in_usd.period_start') }}, quotas_in_usd.period_end, interval '1 month'
    ) as month_start
),

months as (
    select
        employee_id,
        'month' as period_type,
        month_start as period_start,
        cast(month_start + interval '1 month' - interval '1 day' as date) as period_end,
        sum(quota_usd / months_covered) as quota_usd
    from quota_months
    group by employee_id, month_start
),

quarters as (
    select
        employee_id,
        'quarter' as period_type,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} as date) as period_start,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} + interval '3 months' - interval '1 day' as date)
            as period_end,
        sum(quota_usd) as quota_usd
    from months
    group by employee_id, {{ dbt.date_trunc('quarter', 'period_start') }}
),

periods as (
    select * from months
    union all
    select * from quarters
),

final as (
    select
        employee_id,
        period_type,
        period_start,
        period_end,
        cast(round(quota_usd, 6) as numeric(18, 6)) as quota_usd
    from periods
    where period_start <= {{ night() }}
)

select * from final
