with

source as (
    {{ latest_batch_rows(source('contracts', 'contracts'), ['contract_id']) }}
),

renamed as (
    select
        contract_id,
        contract_number,
        account_id,
        opportunity_id,
        parent_contract_id,
        status,
        currency,
        owner_user_id,
        cast(nullif(trim(start_date), '') as date) as start_date,
        cast(nullif(trim(end_date), '') as date) as end_date,
        cast(nullif(trim(term_months), '') as bigint) as term_months,
        cast(nullif(trim(total_contract_value), '') as numeric(18, 2)) as total_contract_value,
        cast(nullif(trim(annual_contract_value), '') as numeric(18, 2)) as annual_contract_value,
        {{ to_boolean('auto_renew') }} as auto_renew,
        cast(nullif(trim(renewal_notice_days), '') as bigint) as renewal_notice_days,
        {{ to_utc_timestamp('sent_for_signature_at') }} as sent_for_signature_at,
        {{ to_utc_timestamp('signed_at') }} as signed_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at
    from source
)

select * from renamed
