-- Every version of every opportunity from its history (one row per change, as Salesforce
-- OpportunityHistory), deduplicated across batches, with the moment of the deal's next change.
-- Incremental: history rows are immutable and dated, so a night reads only the history batches loaded
-- since the last build, plus this table's own versions of the deals those batches touch, and rewrites
-- those deals (delete+insert by opportunity): the cost follows the change, not the history. Lives in
-- the `intermediate` schema, outside the write-audit-publish swap, so a night that does not move forward
-- (a rerun, or an older night rebuilt) first empties it (the engine) and rebuilds it from all history:
-- never a version from the future.
-- The open_current and next_changed indexes find the versions open on a forecast's as-of day (the current
-- open ones, a small share of all versions, and those superseded since: int_forecast_pipeline_methods);
-- the statistics on the pair let Postgres count them (apart, it multiplies the two columns' odds).
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_engine={'strategy': 'by_key'},
        post_hook=[
            "create index if not exists int_opportunity_history_versions_open_current on {{ this }} (opportunity_id)
                where next_changed_at is null and stage not in ('closed_won', 'closed_lost')",
            'create statistics if not exists {{ this.schema }}.int_opportunity_history_versions_next_changed_stage (mcv)
                on next_changed_at, stage from {{ this }}',
        ],
        indexes=[{'columns': ['opportunity_id']}, {'columns': ['loaded_through']}, {'columns': ['next_changed_at']}],
    )
}}

with

new_history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
    where
        cast(changed_at as date) <= {{ night() }}
        {% if is_incremental() -%}
            -- on the raw partition key: only the new batches' partitions are read
            and _batch_id > cast({{ last_built_night() }} as text)
        {%- endif %}
),

history as (
    select
        opportunity_id,
        history_id,
        stage,
        amount,
        currency,
        probability,
        close_date,
        changed_at,
        batch_date
    from new_history
    {% if is_incremental() -%}
        union all
        -- what this table already holds of the touched deals: their earlier versions
        select
            known.opportunity_id,
            known.history_id,
            known.stage,
            known.amount,
            known.currency,
            known.probability,
            known.close_date,
            known.changed_at,
            known.batch_date
        from {{ this }} as known
        where known.opportunity_id in (select new_history.opportunity_id from new_history)
    {%- endif %}
),

latest_versions as (
    -- a row delivered again in a later batch counts once: the latest batch's version
    select
        *,
        row_number() over (partition by opportunity_id, history_id order by batch_date desc) as version_rank
    from history
),

final as (
    select
        cast(opportunity_id as text) as opportunity_id,
        cast(history_id as text) as history_id,
        cast(stage as text) as stage,
        cast({{ stage_order('stage') }} as integer) as stage_order,
        cast(amount as numeric(18, 2)) as amount,
        cast(currency as text) as currency,
        cast(probability as numeric(5, 2)) as probability,
        cast(close_date as date) as close_date,
        cast(changed_at as timestamp) as changed_at,
        cast(
            lead(changed_at) over (partition by opportunity_id order by changed_at, history_id) as timestamp
        ) as next_changed_at,
        cast(batch_date as date) as batch_date,
        cast({{ night() }} as date) as loaded_through,
        -- per deal, while its versions are at hand (the table rewrites whole deals): the forecasts and
        -- the won deals read these instead of sorting every closed version of every deal each night
        cast(
            coalesce(stage in ('closed_won', 'closed_lost'), false)
            and row_number() over (
                partition by opportunity_id, coalesce(stage in ('closed_won', 'closed_lost'), false)
                order by changed_at, history_id
            ) = 1
            as boolean
        ) as is_first_close,
        cast(
            coalesce(stage = 'closed_won', false)
            and row_number() over (
                partition by opportunity_id, coalesce(stage = 'closed_won', false) order by changed_at, history_id
            ) = 1
            as boolean
        ) as is_first_win,
        cast(
            max(case when stage not in ('closed_won', 'closed_lost') then {{ stage_order('stage') }} end)
                over (partition by opportunity_id)
            as integer
        ) as furthest_open_stage_order
    from latest_versions
    where version_rank = 1
)

select * from final
