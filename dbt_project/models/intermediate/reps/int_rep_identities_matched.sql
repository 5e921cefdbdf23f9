-- CRM users matched to HR employees by normalised email; unmatched users keep a null employee_id
-- (they are listed by the CRM hygiene KPI, and their deals are credited to nobody).
{{ config(materialized='table') }}

with

users as (
    select * from {{ ref('stg_crm__users') }}
),

employees as (
    select * from {{ ref('stg_hr__employees') }}
),

matched as (
    select distinct on (users.user_id)
        users.user_id,
        employees.employee_id,
        users.email_normalized,
        employees.employee_id is not null as is_matched
    from users
    left join employees
        on users.email_normalized = employees.work_email_normalized
    order by users.user_id asc, employees.hire_date desc nulls last, employees.employee_id asc
)

select * from matched
