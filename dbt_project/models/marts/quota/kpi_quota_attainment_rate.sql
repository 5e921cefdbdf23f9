-- Share of quota-carrying reps at or above quota, per period, company-wide and per direct manager.
with

attainment as (
    select * from {{ ref('kpi_quota_attainment') }}
),

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

attainment_with_manager as (
    select
        attainment.period_type,
        attainment.period_start,
        attainment.attainment,
        employees.manager_employee_id
    from attainment
    left join employees
        on attainment.employee_id = employees.employee_id
),

company as (
    select
        'company' as scope_type,
        'all' as scope_id,
        period_type,
        period_start,
        count(*) as reps_with_quota,
        count(*) filter (where attainment >= 1.0) as reps_at_or_above_quota
    from attainment_with_manager
    group by period_type, period_start
),

managers as (
    select
        'manager' as scope_type,
        manager_employee_id as scope_id,
        period_type,
        period_start,
        count(*) as reps_with_quota,
        count(*) filter (where attainment >= 1.0) as reps_at_or_above_quota
    from attainment_with_manager
    where manager_employee_id is not null
    group by manager_employee_id, period_type, period_start
),

scopes as (
    select * from company
    union all
    select * from managers
),

final as (
    select
        cast(scope_type as text) as scope_type,
        cast(scope_id as text) as scope_id,
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(reps_with_quota as integer) as reps_with_quota,
        cast(reps_at_or_above_quota as integer) as reps_at_or_above_quota,
        cast(round(cast(reps_at_or_above_quota as numeric) / reps_with_quota, 6) as numeric(8, 6)) as attainment_rate
    from scopes
)

select * from final
