-- Estimated variable pay per rep and quarter (restricted: marts_restricted, never marts): bookings x
-- commission_rate, with the accelerator multiplier on the bookings above accelerator_threshold x quota.
-- The plan is the rep's plan for the quarter's calendar year.
{{ config(schema='marts_restricted') }}

with

attainment as (
    select * from {{ ref('kpi_quota_attainment') }}
    where period_type = 'quarter'
),

plans as (
    select * from {{ ref('stg_hr__compensation_plans') }}
),

priced as (
    select
        attainment.employee_id,
        attainment.period_start,
        attainment.bookings_usd,
        attainment.quota_usd,
        attainment.attainment,
        plans.commission_rate,
        plans.accelerator_threshold,
        plans.accelerator_multiplier,
        plans.accelerator_threshold * attainment.quota_usd as accelerator_from_usd
    from attainment
    inner join plans
        on
            attainment.employee_id = plans.employee_id
            and plans.plan_year = extract(year from attainment.period_start)
),

final as (
    select
        cast(employee_id as text) as employee_id,
        cast(period_start as date) as quarter_start,
        cast(bookings_usd as numeric(18, 2)) as bookings_usd,
        cast(quota_usd as numeric(18, 2)) as quota_usd,
        cast(attainment as numeric(12, 6)) as attainment,
        cast(commission_rate as numeric(9, 6)) as commission_rate,
        cast(accelerator_threshold as numeric(9, 4)) as accelerator_threshold,
        cast(accelerator_multiplier as numeric(9, 4)) as accelerator_multiplier,
        cast(
            round(
                commission_rate * least(bookings_usd, accelerator_from_usd)
                + commission_rate * accelerator_multiplier * greatest(bookings_usd - accelerator_from_usd, 0),
                2
            ) as numeric(18, 2)
        ) as estimated_variable_pay_usd
    from priced
)

select * from final
