-- Headcount per month and role (measured on the month's last day, or the night for the current
-- month), with the month's hires and departures.
with

employees as (
    select * from {{ ref('dim_reps') }}
),

calendar as (
    select * from {{ ref('dim_date') }}
),

months as (
    {{ months_to_night('calendar', '(select min(first_hires.hire_date) from employees as first_hires)') }}
),

roles as (
    select distinct role from employees
),

counted as (
    select
        months.month_start,
        roles.role,
        sum(
            case
                when
                    employees.hire_date <= months.measured_on
                    and (employees.termination_date is null or employees.termination_date > months.measured_on)
                    then 1
                else 0
            end
        ) as headcount,
        sum(case when employees.hire_date between months.month_start and months.measured_on then 1 else 0 end)
            as hires,
        sum(
            case when employees.termination_date between months.month_start and months.measured_on then 1 else 0 end
        ) as departures
    from months
    cross join roles
    left join employees
        on roles.role = employees.role
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
