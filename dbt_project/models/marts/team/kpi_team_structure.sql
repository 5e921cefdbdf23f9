-- Team structure per month, measured on the month's last day (or the night for the current month):
-- headcount of the sales and sales-ops organisations, quota-carrying reps, the sales-ops to
-- quota-carrying rep ratio, and managers' span of control (direct reports). Role and manager are the
-- ones in force on that day (HR versions: int_employee_versions, back to the oldest HR batch kept);
-- hire and termination dates the latest HR says.
with

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

versions as (
    select * from {{ ref('int_employee_versions') }}
),

calendar as (
    select * from {{ ref('dim_date') }}
),

months as (
    {{ months_to_night('calendar', '(select min(first_hires.hire_date) from employees as first_hires)') }}
),

active as (
    select
        employees.employee_id,
        versions.role,
        versions.manager_employee_id,
        versions.role in ({{ quoted_list(var('quota_carrying_roles')) }}) as is_quota_carrying_role,
        versions.role in ({{ quoted_list(var('sales_ops_roles')) }}) as is_sales_ops,
        months.month_start,
        months.measured_on
    from months
    inner join employees
        on
            months.measured_on >= employees.hire_date
            and (employees.termination_date is null or months.measured_on < employees.termination_date)
    inner join versions
        on employees.employee_id = versions.employee_id and {{ version_on('versions', 'months.measured_on') }}
),

direct_reports as (
    select
        managers.month_start,
        managers.employee_id,
        count(reports.employee_id) as reports
    from active as managers
    inner join active as reports
        on managers.month_start = reports.month_start and managers.employee_id = reports.manager_employee_id
    group by managers.month_start, managers.employee_id
),

spans as (
    select
        month_start,
        count(*) as managers,
        avg(reports) as mean_span_of_control,
        max(reports) as max_span_of_control
    from direct_reports
    group by month_start
),

headcounts as (
    select
        month_start,
        measured_on,
        count(*) as headcount,
        sum(case when role in ({{ quoted_list(var('sales_roles')) }}) then 1 else 0 end) as sales_headcount,
        sum(case when is_sales_ops then 1 else 0 end) as sales_ops_headcount,
        sum(case when is_quota_carrying_role then 1 else 0 end) as quota_carrying_reps
    from active
    group by month_start, measured_on
),

final as (
    select
        cast(headcounts.month_start as date) as month_start,
        cast(headcounts.measured_on as date) as measured_on,
        cast(headcounts.headcount as integer) as headcount,
        cast(headcounts.sales_headcount as integer) as sales_headcount,
        cast(headcounts.sales_ops_headcount as integer) as sales_ops_headcount,
        cast(headcounts.quota_carrying_reps as integer) as quota_carrying_reps,
        cast(
            round({{ safe_divide('headcounts.sales_ops_headcount', 'headcounts.quota_carrying_reps') }}, 4)
            as numeric(10, 4)
        ) as sales_ops_to_rep_ratio,
        cast(coalesce(spans.managers, 0) as integer) as managers,
        cast(round(spans.mean_span_of_control, 2) as numeric(8, 2)) as mean_span_of_control,
        cast(spans.max_span_of_control as integer) as max_span_of_control
    from headcounts
    left join spans
        on headcounts.month_start = spans.month_start
)

select * from final
