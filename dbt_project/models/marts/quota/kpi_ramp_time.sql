-- New-hire ramp time per quota-carrying rep: days from hire to the end of the first calendar month
-- (from the hire month on) whose closed-won bookings reach that month's quota (a third of the
-- quarter's); null while not ramped. Also days from hire to the first closed-won deal.
with

reps as (
    select * from {{ ref('dim_reps') }}
    where hire_date <= {{ night() }}
),

month_quotas as (
    select * from {{ ref('int_quota_periods') }}
    where period_type = 'month'
),

bookings as (
    select * from {{ ref('int_bookings_credited') }}
    where employee_id is not null
),

bookings_since_hire as (
    -- a rep's ramp counts their own deals only: not those their CRM login closed before they were hired
    select
        bookings.employee_id,
        bookings.closed_date,
        bookings.amount_usd,
        cast({{ dbt.date_trunc('month', 'bookings.closed_date') }} as date) as month_start
    from bookings
    inner join reps
        on bookings.employee_id = reps.employee_id and bookings.closed_date >= reps.hire_date
),

monthly_bookings as (
    select
        employee_id,
        month_start,
        sum(amount_usd) as bookings_usd
    from bookings_since_hire
    group by employee_id, month_start
),

ramped_months as (
    select
        month_quotas.employee_id,
        min(month_quotas.period_start) as ramped_month,
        min(month_quotas.period_end) as ramped_month_end
    from month_quotas
    inner join reps
        on month_quotas.employee_id = reps.employee_id
    inner join monthly_bookings
        on
            month_quotas.employee_id = monthly_bookings.employee_id
            and month_quotas.period_start = monthly_bookings.month_start
    where
        month_quotas.period_end >= reps.hire_date
        and month_quotas.quota_usd > 0
        and monthly_bookings.bookings_usd >= month_quotas.quota_usd
    group by month_quotas.employee_id
),

first_deals as (
    select
        employee_id,
        min(closed_date) as first_deal_date
    from bookings_since_hire
    group by employee_id
),

quota_carriers as (
    select distinct employee_id from month_quotas
),

final as (
    select
        cast(reps.employee_id as text) as employee_id,
        cast(reps.hire_date as date) as hire_date,
        cast(reps.hire_cohort as date) as hire_cohort,
        cast(ramped_months.ramped_month as date) as ramped_month,
        cast({{ day_count('reps.hire_date', 'ramped_months.ramped_month_end') }} as integer) as ramp_days,
        cast({{ day_count('reps.hire_date', 'first_deals.first_deal_date') }} as integer) as days_to_first_deal
    from reps
    inner join quota_carriers
        on reps.employee_id = quota_carriers.employee_id
    left join ramped_months
        on reps.employee_id = ramped_months.employee_id
    left join first_deals
        on reps.employee_id = first_deals.employee_id
)

select * from final
