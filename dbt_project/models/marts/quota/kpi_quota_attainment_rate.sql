-- Share of quota-carrying reps at or above quota, per period, company-wide and per direct manager: the
-- manager the rep had at the period's end (or on the night, for the current period), by the HR versions
-- (int_employee_versions), not today's manager applied to every past period.
with

attainment as (
    select * from {{ ref('kpi_quota_attainment') }}
),

versions as (
    select * from {{ ref('int_employee_versions') }}
),

attainment_measured as (
    select
        *,
        least(
            cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', "case period_type when 'month' then 1 else 3 end",
                                                        'period_start')) }} as date),
            {{ night() }}
        ) as measured_on
    from attainment
),

attainment_with_manager as (
    select
        attainment_measured.period_type,
        attainment_measured.period_start,
        attainment_measured.attainment,
        versions.manager_employee_id
    from attainment_measured
    left join versions
        on
            attainment_measured.employee_id = versions.employee_id
            and {{ version_on('versions', 'attainment_measured.measured_on') }}
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
