with

source as (
    {{ latest_batch_rows(
        source('hr', 'training_completions'),
        ['employee_id', 'course_id', 'completed_at'],
        order_by='_batch_id',
    ) }}
),

renamed as (
    select
        employee_id,
        course_id,
        course_name,
        {{ to_utc_timestamp('completed_at') }} as completed_at,
        cast(nullif(trim(score), '') as numeric(5, 2)) as score
    from source
)

select * from renamed
