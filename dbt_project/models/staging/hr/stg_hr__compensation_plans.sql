with

source as (
    {{ latest_batch_rows(source('hr', 'compensation_plans'), ['employee_id', 'plan_year'], order_by='_batch_id') }}
),

renamed as (
    select
        employee_id,
        cast(nullif(trim(plan_year), '') as bigint) as plan_year,
        cast(nullif(trim(on_target_variable), '') as numeric(18, 2)) as on_target_variable,
        cast(nullif(trim(commission_rate), '') as numeric(9, 6)) as commission_rate,
        cast(nullif(trim(accelerator_threshold), '') as numeric(9, 4)) as accelerator_threshold,
        cast(nullif(trim(accelerator_multiplier), '') as numeric(9, 4)) as accelerator_multiplier
    from source
)

select * from renamed
