-- New-hire ramp time per quota-carrying rep: days from hire to the end of the first calendar month
-- (from the hire month on) whose closed-won bookings reach that month's quota (its share of the quota
-- row); null while not ramped. Also days from hire to the first closed-won deal. Only reps hired on or
-- after the first month with both quota and bookings data can be seen ramping: earlier hires are marked
-- ramp_observable = false, with no ramp figures (SPEC: new-hire ramp time).
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

quota_months as (
    select distinct period_start as month_start from month_quotas
),

booking_months as (
    select distinct cast({{ dbt.date_trunc('month', 'closed_date') }} as date) as month_start from bookings
),

first_observable_month as (
    -- the data's first month with both a quota and a booking: a rep hired before it ramped out of sight
    select min(quota_months.month_start) as month_start
    from quota_months
    inner join booking_months
        on quota_months.month_start = booking_months.month_start
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

observed_reps as (
    select
        reps.*,
        coalesce(reps.hire_date >= first_observable_month.month_start, false) as ramp_observable
    from reps
    inner join quota_carriers
        on reps.employee_id = quota_carriers.employee_id
    cross join first_observable_month
),

final as (
    select
        cast(observed_reps.employee_id as text) as employee_id,
        cast(observed_reps.hire_date as date) as hire_date,
        cast(observed_reps.hire_cohort as date) as hire_cohort,
        cast(case when observed_reps.ramp_observable then ramped_months.ramped_month end as date) as ramped_month,
        cast(
            case
                when observed_reps.ramp_observable
                    then {{ day_count('observed_reps.hire_date', 'ramped_months.ramped_month_end') }}
            end as integer
        ) as ramp_days,
        cast(
            case
                when observed_reps.ramp_observable
                    then {{ day_count('observed_reps.hire_date', 'first_deals.first_deal_date') }}
            end as integer
        ) as days_to_first_deal,
        cast(observed_reps.ramp_observable as boolean) as ramp_observable
    from observed_reps
    left join ramped_months
        on observed_reps.employee_id = ramped_months.employee_id
    left join first_deals
        on observed_reps.employee_id = first_deals.employee_id
)

select * from final
