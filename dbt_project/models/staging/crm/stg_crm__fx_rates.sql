with

source as (
    {{ latest_batch_rows(source('crm', 'fx_rates'), ['date', 'upper(trim(currency))'], order_by='_batch_id') }}
),

renamed as (
    select
        cast(date as date) as rate_date,
        upper(trim(currency)) as currency,
        cast(rate_to_usd as numeric(18, 8)) as rate_to_usd
    from source
    where version_rank = 1
)

select * from renamed
