-- One row per HR employee in the sales and sales-ops organisation as of the night: role, manager
-- chain, hire and termination, CRM login and current territory. No pay and no personal email.
with recursive

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

territories as (
    select * from {{ ref('stg_hr__territory_assignments') }}
    where effective_from <= {{ night() }} and (effective_to is null or effective_to >= {{ night() }})
),

manager_chains as (
    select
        employee_id,
        manager_employee_id,
        cast(employee_id as text) as path_from_top,
        0 as management_depth
    from employees
    where manager_employee_id is null
    union all
    select
        employees.employee_id,
        employees.manager_employee_id,
        manager_chains.path_from_top || ' > ' || employees.employee_id as path_from_top,
        manager_chains.management_depth + 1 as management_depth
    from employees
    inner join manager_chains
        on employees.manager_employee_id = manager_chains.employee_id
    where manager_chains.management_depth < 20
),

crm_logins as (
    select
        employee_id,
        min(user_id) as crm_user_id
    from identities
    where employee_id is not null
    group by employee_id
),

current_territories as (
    select distinct on (employee_id)
        employee_id,
        territory_id,
        territory_name,
        region,
        segment
    from territories
    order by employee_id asc, effective_from desc
),

final as (
    select
        cast(employees.employee_id as text) as employee_id,
        cast(employees.full_name as text) as full_name,
        cast(employees.job_title as text) as job_title,
        cast(employees.role as text) as role,
        cast(employees.department as text) as department,
        cast(employees.role in ({{ quoted_list(var('quota_carrying_roles')) }}) as boolean) as is_quota_carrying_role,
        cast(employees.role in ({{ quoted_list(var('sales_ops_roles')) }}) as boolean) as is_sales_ops,
        cast(employees.manager_employee_id as text) as manager_employee_id,
        cast(manager_chains.path_from_top as text) as manager_chain,
        cast(manager_chains.management_depth as integer) as management_depth,
        cast(employees.hire_date as date) as hire_date,
        cast({{ dbt.date_trunc('quarter', 'employees.hire_date') }} as date) as hire_cohort,
        cast(employees.termination_date as date) as termination_date,
        cast(
            employees.hire_date <= {{ night() }}
            and (employees.termination_date is null or employees.termination_date > {{ night() }})
            as boolean
        ) as is_active,
        cast(crm_logins.crm_user_id as text) as crm_user_id,
        cast(current_territories.territory_id as text) as territory_id,
        cast(current_territories.territory_name as text) as territory_name,
        cast(current_territories.region as text) as territory_region,
        cast(current_territories.segment as text) as territory_segment
    from employees
    left join manager_chains
        on employees.employee_id = manager_chains.employee_id
    left join crm_logins
        on employees.employee_id = crm_logins.employee_id
    left join current_territories
        on employees.employee_id = current_territories.employee_id
)

select * from final
