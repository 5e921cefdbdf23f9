with

source as (
    {{ latest_batch_rows(source('crm', 'accounts'), ['account_id']) }}
),

renamed as (
    select
        account_id,
        account_name,
        industry,
        segment,
        country,
        region,
        owner_user_id,
        cast(nullif(trim(annual_revenue), '') as numeric(18, 2)) as annual_revenue,
        cast(nullif(trim(employee_count), '') as bigint) as employee_count,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        coalesce({{ to_boolean('is_deleted') }}, false) as is_deleted
    from source
)

select * from renamed
where not is_deleted
