with

source as (
    {{ latest_batch_rows(source('contracts', 'contract_events'), ['event_id'], order_by='_batch_id') }}
),

renamed as (
    select
        event_id,
        contract_id,
        event_type,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at
    from source
)

select * from renamed
