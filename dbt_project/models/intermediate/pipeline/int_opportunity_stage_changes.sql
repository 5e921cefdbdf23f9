-- Stage changes from the opportunity history up to the night: one row each time a deal entered a
-- stage (history rows that only changed amount or close date are folded into the stay), with the
-- stage it left, whether it moved backwards, and the whole calendar days it then spent there.
with

history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
    where cast(changed_at as date) <= {{ night() }}
),

latest_versions as (
    -- an event extract carries one version per batch; the latest batch's wins. Every window here is
    -- partitioned by opportunity first, so a filter on opportunities reaches the history scan.
    select
        *,
        row_number() over (partition by opportunity_id, history_id order by batch_date desc) as version_rank
    from history
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
        batch_date,
        lag(stage) over (partition by opportunity_id order by changed_at, history_id) as previous_stage
    from latest_versions
    where version_rank = 1
),

entries as (
    select * from ordered
    where previous_stage is null or previous_stage <> stage
),

timed as (
    select
        history_id,
        opportunity_id,
        stage,
        {{ stage_order('stage') }} as stage_order,
        previous_stage,
        coalesce({{ stage_order('stage') }} < {{ stage_order('previous_stage') }}, false) as is_backward,
        amount,
        currency,
        probability,
        close_date,
        changed_at,
        batch_date,
        lead(changed_at) over (partition by opportunity_id order by changed_at, history_id) as left_at,
        lead(stage) over (partition by opportunity_id order by changed_at, history_id) as next_stage
    from entries
)

select
    *,
    {{ day_count('changed_at', 'left_at') }} as days_in_stage
from timed
