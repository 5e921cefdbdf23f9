with

source as (
    {{ batch_rows(source('crm', 'activities'), ['activity_id']) }}
),

renamed as (
    select
        activity_id,
        user_id,
        activity_type,
        account_id,
        opportunity_id,
        lead_id,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        cast(nullif(trim(duration_minutes), '') as bigint) as duration_minutes,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_batch_id as date) as batch_date,
        _batch_id
    from source
    where version_rank = 1
)

select * from renamed
