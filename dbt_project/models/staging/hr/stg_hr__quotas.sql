with

source as (
    {{ latest_batch_rows(source('hr', 'quotas'), ['employee_id', 'period_start', 'quota_type'], order_by='_batch_id') }}
),

renamed as (
    select
        employee_id,
        quota_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(quota_amount as numeric(18, 2)) as quota_amount,
        upper(trim(currency)) as currency
    from source
)

select * from renamed
