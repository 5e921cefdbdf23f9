-- One row each time an opportunity entered a stage, from the history up to the night: rows that only
-- changed amount or close date are folded into the stay; slips backwards are flagged; whole calendar
-- days spent in the stage. Built from int_opportunity_history_versions (every version of every deal,
-- deduplicated across batches). Incremental: a night rewrites only the deals with a version from a
-- batch loaded since this table's last build (delete+insert by opportunity), so nightly cost follows
-- the change, not the history.
-- Indexed on loaded_through: the quality gate checks the night's rows, and the catch-up reads the newest;
-- and on the key: delete+insert finds the rows it replaces, not a scan of every stay.
-- The old versions of the rows a night rewrites are kept, by history_id, for kpi_stage_duration, which
-- recomputes only the periods a night touches (macros/incremental/periods_to_rebuild.sql), reading their stays
-- through the index on the quarter each stay ended in.
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_engine={
            'strategy': 'by_key', 'rebuild_unless_moving_forward': false, 'rewrites': 'stage_changes_rewritten',
            'before_images': true, 'replaced_key_column': 'history_id',
        },
        post_hook=[
            'create index if not exists fct_opportunity_stage_changes_left_quarter on {{ this }}'
            ~ ' (date_trunc(\'quarter\', left_at))',
        ],
        indexes=[{'columns': ['loaded_through']}, {'columns': ['opportunity_id']}],
    )
}}

with

versions as (
    select * from {{ ref('int_opportunity_history_versions') }}
    {% if is_incremental() -%}
        where opportunity_id in ({{ stage_changes_rewritten(last_built_night(before_tonight=false)) }})
    {%- endif %}
),

ordered as (
    select
        history_id,
        opportunity_id,
        stage,
        amount,
        currency,
        probability,
        close_date,
        changed_at,
        lag(stage) over (partition by opportunity_id order by changed_at, history_id) as previous_stage
    from versions
),

entries as (
    select * from ordered
    where previous_stage is null or previous_stage <> stage
),

timed as (
    select
        *,
        lead(changed_at) over (partition by opportunity_id order by changed_at, history_id) as left_at,
        lead(stage) over (partition by opportunity_id order by changed_at, history_id) as next_stage
    from entries
),

final as (
    select
        cast(history_id as text) as history_id,
        cast(opportunity_id as text) as opportunity_id,
        cast(stage as text) as stage,
        cast({{ stage_order('stage') }} as integer) as stage_order,
        cast(previous_stage as text) as previous_stage,
        cast(coalesce({{ stage_order('stage') }} < {{ stage_order('previous_stage') }}, false) as boolean)
            as is_backward,
        cast(amount as numeric(18, 2)) as amount,
        cast(currency as text) as currency,
        cast(probability as numeric(5, 2)) as probability,
        cast(close_date as date) as close_date,
        cast(changed_at as timestamp) as entered_at,
        cast(left_at as timestamp) as left_at,
        cast(next_stage as text) as next_stage,
        cast({{ day_count('changed_at', 'left_at') }} as integer) as days_in_stage,
        cast({{ night() }} as date) as loaded_through
    from timed
)

select * from final
