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

bookings_in_period as (
    select
        quota_periods.employee_id,
        quota_periods.period_type,
        quota_periods.period_start,
        coalesce(sum(bookings.amount_usd), 0) as bookings_usd
    from quota_periods
    left join bookings
        on
            quota_periods.employee_id = bookings.employee_id
            and bookings.closed_date between quota_periods.period_start and quota_periods.period_end
    group by quota_periods.employee_id, quota_periods.period_type, quota_periods.period_start
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
    inner join bookings_in_period
        on
            quota_periods.employee_id = bookings_in_period.employee_id
            and quota_periods.period_type = bookings_in_period.period_type
            and quota_periods.period_start = bookings_in_period.period_start
)

select * from final
