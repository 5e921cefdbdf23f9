-- Every version of every employee loaded up to the night (one per employee and updated_at: the latest
-- batch's copy), for what an employee's role and manager were in a past month (SPEC: team structure).
-- History goes back as far as the HR batches kept in raw (retention keeps the latest version of each).
-- personal_email and base_salary are deliberately not selected: personal data stops at raw.
with

source as (
    select distinct on (employee_id, updated_at) *
    from {{ source('hr', 'employees') }}
    where _batch_id <= cast({{ night() }} as text)
    order by employee_id asc, updated_at asc, _batch_id desc, _line_number desc
),

renamed as (
    select
        employee_id,
        role,
        nullif(trim(manager_employee_id), '') as manager_employee_id,
        {{ to_utc_timestamp('updated_at') }} as updated_at
    from source
)

select * from renamed
