with

source as (
    {{ batch_rows(source('crm', 'opportunity_history'), ['history_id'], order_by='changed_at') }}
),

renamed as (
    select
        history_id,
        opportunity_id,
        stage,
        currency,
        forecast_category,
        cast(nullif(trim(amount), '') as numeric(18, 2)) as amount,
        cast(nullif(trim(probability), '') as numeric(5, 2)) as probability,
        cast(nullif(trim(close_date), '') as date) as close_date,
        {{ to_utc_timestamp('changed_at') }} as changed_at,
        cast(_batch_id as date) as batch_date,
        _batch_id
    from source
    where version_rank = 1
)

select * from renamed
