with

source as (
    {{ latest_batch_rows(source('crm', 'leads'), ['lead_id']) }}
),

renamed as (
    select
        lead_id,
        company,
        source as lead_source,
        status,
        owner_user_id,
        country,
        converted_opportunity_id,
        converted_account_id,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('converted_at') }} as converted_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        coalesce({{ to_boolean('is_deleted') }}, false) as is_deleted
    from source
)

select * from renamed
where not is_deleted
