-- A table kept incrementally, not a view: every reader of a view re-sorted all raw leads; a night now
-- reads only its own batch (see macros/incremental/latest_versions.sql).
-- Indexed on created_at for the keys dated into the nights since (macros/incremental/keys_changed_since.sql).
{{
    config(
        materialized='incremental',
        unique_key='lead_id',
        incremental_engine={'strategy': 'latest_versions'},
        indexes=[{'columns': ['lead_id']}, {'columns': ['_batch_id']}, {'columns': ['created_at']}],
    )
}}

with

source as (
    {{ new_batch_rows(source('crm', 'leads')) }}
),

renamed as (
    select
        lead_id,
        company,
        source as lead_source,
        status,
        owner_user_id,
        country,
        converted_opportunity_id,
        converted_account_id,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('converted_at') }} as converted_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        coalesce({{ to_boolean('is_deleted') }}, false) as is_deleted,
        _batch_id,
        _line_number
    from source
),

latest as (
    {{ latest_versions('renamed', ['lead_id']) }}
)

select * from latest
