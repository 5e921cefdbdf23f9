-- One row each time an opportunity entered a stage. Incremental: a night reads only the history
-- batches loaded since the last build and recomputes the stage path of the deals they touch
-- (delete+insert by opportunity), so nightly cost follows the change, not the history.
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

with

stage_changes as (
    select * from {{ ref('int_opportunity_stage_changes') }}
),

new_history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
    {% if is_incremental() %}
        where batch_date > (
            select coalesce(max(loaded.loaded_through), cast('1900-01-01' as date)) from {{ this }} as loaded
        )
    {% endif %}
),

touched as (
    select distinct opportunity_id from new_history
),

final as (
    select
        cast(stage_changes.history_id as text) as history_id,
        cast(stage_changes.opportunity_id as text) as opportunity_id,
        cast(stage_changes.stage as text) as stage,
        cast(stage_changes.stage_order as integer) as stage_order,
        cast(stage_changes.previous_stage as text) as previous_stage,
        cast(stage_changes.is_backward as boolean) as is_backward,
        cast(stage_changes.amount as numeric(18, 2)) as amount,
        cast(stage_changes.currency as text) as currency,
        cast(stage_changes.probability as numeric(5, 2)) as probability,
        cast(stage_changes.close_date as date) as close_date,
        cast(stage_changes.changed_at as timestamp) as entered_at,
        cast(stage_changes.left_at as timestamp) as left_at,
        cast(stage_changes.next_stage as text) as next_stage,
        cast(stage_changes.days_in_stage as integer) as days_in_stage,
        cast({{ night() }} as date) as loaded_through
    from stage_changes
    {% if is_incremental() %}
        where stage_changes.opportunity_id in (select touched.opportunity_id from touched)
    {% endif %}
)

select * from final
