with

source as (
    {{ latest_batch_rows(source('crm', 'fx_rates'), ['date', 'upper(trim(currency))'], order_by='_batch_id') }}
),

renamed as (
    select
        cast(date as date) as rate_date,
        cast(rate_to_usd as numeric(18, 8)) as rate_to_usd,
        upper(trim(currency)) as currency
    from source
)

select * from renamed
