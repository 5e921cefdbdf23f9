-- Quota attainment per rep and period: closed-won bookings credited to the owner at close
-- (closed date in the period) / the period's quota. Reps without a quota are excluded.
with

quota_periods as (
    select * from {{ ref('int_quota_periods') }}
),

bookings as (
    select * from {{ ref('int_bookings_credited') }}
    where employee_id is not null
),

period_months as (
    -- each quota period once per month it overlaps (a quarter three times): the bookings are matched on
    -- the rep and the month, then on the exact dates, so a period need not start on a month's first day.
    -- Matched on the rep alone, each booking met every one of its rep's periods.
    select
        quota_periods.employee_id,
        quota_periods.period_type,
        quota_periods.period_start,
        quota_periods.period_end,
        cast(month_start as date) as booked_month
    from quota_periods
    cross join lateral generate_series(
        {{ dbt.date_trunc('month', 'quota_periods.period_start') }}, quota_periods.period_end, interval '1 month'
    ) as month_start
),

bookings_in_period as (
    select
        period_months.employee_id,
        period_months.period_type,
        period_months.period_start,
        coalesce(sum(bookings.amount_usd), 0) as bookings_usd
    from period_months
    left join bookings
        on
            period_months.employee_id = bookings.employee_id
            and period_months.booked_month = cast({{ dbt.date_trunc('month', 'bookings.closed_date') }} as date)
            and bookings.closed_date between period_months.period_start and period_months.period_end
    group by period_months.employee_id, period_months.period_type, period_months.period_start
),

final as (
    select
        cast(quota_periods.employee_id as text) as employee_id,
        cast(quota_periods.period_type as text) as period_type,
        cast(quota_periods.period_start as date) as period_start,
        cast(round(bookings_in_period.bookings_usd, 2) as numeric(18, 2)) as bookings_usd,
        cast(round(quota_periods.quota_usd, 2) as numeric(18, 2)) as quota_usd,
        cast(
            round(bookings_in_period.bookings_usd / nullif(quota_periods.quota_usd, 0), 6) as numeric(12, 6)
        ) as attainment
    from quota_periods
    inner join bookings_in_period using (employee_id, period_type, period_start)
)

select * from final
