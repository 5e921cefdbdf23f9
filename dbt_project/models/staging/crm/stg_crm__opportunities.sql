with

source as (
    {{ latest_batch_rows(source('crm', 'opportunities'), ['opportunity_id']) }}
),

renamed as (
    select
        opportunity_id,
        account_id,
        owner_user_id,
        opportunity_name,
        type as opportunity_type,
        stage,
        cast(nullif(trim(amount), '') as numeric(18, 2)) as amount,
        upper(trim(currency)) as currency,
        cast(nullif(trim(probability), '') as numeric(5, 2)) as probability,
        forecast_category,
        {{ to_utc_timestamp('created_at') }} as created_at,
        cast(nullif(trim(close_date), '') as date) as close_date,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        lead_id,
        loss_reason,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        coalesce({{ to_boolean('is_deleted') }}, false) as is_deleted
    from source
)

select * from renamed
