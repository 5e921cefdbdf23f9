-- A table kept incrementally, not a view: int_contracts_chained and the key tests each re-sorted all
-- raw contracts every night, whatever changed; a night now reads only its
-- own batch (see macros/incremental/latest_versions.sql).
{{
    config(
        materialized='incremental',
        unique_key='contract_id',
        incremental_engine={'strategy': 'latest_versions'},
        indexes=[{'columns': ['contract_id']}, {'columns': ['_batch_id']}, {'columns': ['parent_contract_id']}],
    )
}}

with

source as (
    {{ new_batch_rows(source('contracts', 'contracts')) }}
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
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _batch_id,
        _line_number
    from source
),

latest as (
    {{ latest_versions('renamed', ['contract_id']) }}
)

select * from latest
