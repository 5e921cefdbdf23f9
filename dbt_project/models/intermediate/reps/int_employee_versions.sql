-- An employee's role and manager over time: each HR version valid from the day it was updated to the
-- day the next one was (exclusive; the last one open-ended), one version a day (the day's last). The
-- first version also stands for the time before it: history starts with the oldest HR batch kept.
with

versions as (
    select * from {{ ref('stg_hr__employee_versions') }}
),

daily as (
    select distinct on (employee_id, cast(updated_at as date))
        employee_id,
        role,
        manager_employee_id,
        cast(updated_at as date) as valid_from
    from versions
    order by employee_id asc, cast(updated_at as date) asc, updated_at desc
),

final as (
    select
        employee_id,
        role,
        manager_employee_id,
        valid_from,
        lead(valid_from) over (partition by employee_id order by valid_from) as valid_to,
        row_number() over (partition by employee_id order by valid_from) = 1 as is_first_version
    from daily
)

select * from final
