-- A table kept incrementally, not a view: the enriched deals, the forecast's versions, the contracts and
-- the account dimension each re-sorted all raw accounts, several reads a night; a night now reads only
-- its own batch (see macros/incremental/latest_versions.sql). Soft-deleted
-- accounts are kept, flagged: dropping them would let an older version win the next incremental read.
-- Readers take `where not is_deleted`.
{{
    config(
        materialized='incremental',
        unique_key='account_id',
        incremental_engine={'strategy': 'latest_versions'},
        indexes=[{'columns': ['account_id']}, {'columns': ['_batch_id']}],
    )
}}

with

source as (
    {{ new_batch_rows(source('crm', 'accounts')) }}
),

renamed as (
    select
        account_id,
        account_name,
        industry,
        segment,
        country,
        region,
        owner_user_id,
        cast(nullif(trim(annual_revenue), '') as numeric(18, 2)) as annual_revenue,
        cast(nullif(trim(employee_count), '') as bigint) as employee_count,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        coalesce({{ to_boolean('is_deleted') }}, false) as is_deleted,
        _batch_id,
        _line_number
    from source
),

latest as (
    {{ latest_versions('renamed', ['account_id']) }}
)

select * from latest
