-- A table kept incrementally, not a view: the snapshot, the enriched deals, the forecast's versions and
-- the gate's reconciliation each re-sorted all raw opportunities; a night now
-- reads only its own batch (see macros/incremental/latest_versions.sql).
-- Indexed on created_at for the keys dated into the nights since (macros/incremental/keys_changed_since.sql).
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_engine={'strategy': 'latest_versions'},
        indexes=[{'columns': ['opportunity_id']}, {'columns': ['_batch_id']}, {'columns': ['created_at']}],
    )
}}

with

source as (
    {{ new_batch_rows(source('crm', 'opportunities')) }}
),

renamed as (
    select
        opportunity_id,
        account_id,
        owner_user_id,
        opportunity_name,
        type as opportunity_type,
        stage,
        cast(nullif(trim(amount), '') as numeric(18, 2)) as amount,
        upper(trim(currency)) as currency,
        cast(nullif(trim(probability), '') as numeric(5, 2)) as probability,
        forecast_category,
        {{ to_utc_timestamp('created_at') }} as created_at,
        cast(nullif(trim(close_date), '') as date) as close_date,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        lead_id,
        loss_reason,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        coalesce({{ to_boolean('is_deleted') }}, false) as is_deleted,
        _batch_id,
        _line_number
    from source
),

latest as (
    {{ latest_versions('renamed', ['opportunity_id']) }}
)

select * from latest
