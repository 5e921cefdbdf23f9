-- Headcount per month and role (measured on the month's last day, or the night for the current
-- month), with the month's hires and departures; each employee in the role in force that day (HR
-- versions: int_employee_versions), hire and termination dates as the latest HR says.
with

employees as (
    select
        employee_id,
        hire_date,
        termination_date
    from {{ ref('stg_hr__employees') }}
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

roles as (
    select distinct role from versions
    where role is not null
),

employee_months as (
    select
        months.month_start,
        months.measured_on,
        employees.hire_date,
        employees.termination_date,
        versions.role
    from months
    inner join employees
        on months.measured_on >= employees.hire_date
    inner join versions
        on employees.employee_id = versions.employee_id and {{ version_on('versions', 'months.measured_on') }}
),

counted as (
    select
        months.month_start,
        roles.role,
        sum(
            case
                when
                    employee_months.hire_date <= months.measured_on
                    and (
                        employee_months.termination_date is null
                        or employee_months.termination_date > months.measured_on
                    )
                    then 1
                else 0
            end
        ) as headcount,
        sum(
            case when employee_months.hire_date between months.month_start and months.measured_on then 1 else 0 end
        ) as hires,
        sum(
            case
                when employee_months.termination_date between months.month_start and months.measured_on then 1
                else 0
            end
        ) as departures
    from months
    cross join roles
    left join employee_months
        on months.month_start = employee_months.month_start and roles.role = employee_months.role
    group by months.month_start, roles.role
),

final as (
    select
        cast(month_start as date) as month_start,
        cast(role as text) as role,
        cast(headcount as integer) as headcount,
        cast(hires as integer) as hires,
        cast(departures as integer) as departures
    from counted
)

select * from final
