-- A table kept incrementally, not a view: each read re-sorted all raw events;
-- a night now reads only its own batch (see macros/incremental/latest_versions.sql).
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_engine={'strategy': 'latest_versions'},
        post_hook=[
            'create index if not exists stg_contracts__contract_events_terminated on {{ this }} (occurred_at)'
            ~ ' where event_type = \'terminated\'',
        ],
        indexes=[{'columns': ['event_id']}, {'columns': ['_batch_id']}],
    )
}}

with

source as (
    {{ new_batch_rows(source('contracts', 'contract_events')) }}
),

renamed as (
    select
        event_id,
        contract_id,
        event_type,
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,
        _batch_id,
        _line_number
    from source
),

latest as (
    {{ latest_versions('renamed', ['event_id'], order_by='_batch_id') }}
)

select * from latest
