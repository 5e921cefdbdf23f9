-- personal_email and base_salary are deliberately not selected: personal data stops at raw.
with

source as (
    {{ latest_batch_rows(source('hr', 'employees'), ['employee_id']) }}
),

renamed as (
    select
        employee_id,
        full_name,
        work_email,
        lower(trim(work_email)) as work_email_normalized,
        job_title,
        role,
        department,
        nullif(trim(manager_employee_id), '') as manager_employee_id,
        cast(hire_date as date) as hire_date,
        cast(nullif(trim(termination_date), '') as date) as termination_date,
        location,
        {{ to_utc_timestamp('updated_at') }} as updated_at
    from source
)

select * from renamed
