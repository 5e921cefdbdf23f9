with

source as (
    {{ latest_batch_rows(source('crm', 'users'), ['user_id']) }}
),

renamed as (
    select
        user_id,
        email,
        lower(trim(email)) as email_normalized,
        full_name,
        {{ to_boolean('is_active') }} as is_active,
        {{ to_utc_timestamp('updated_at') }} as updated_at
    from source
)

select * from renamed
