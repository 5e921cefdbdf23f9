-- Every version of every opportunity from its history (one row per change, as Salesforce
-- OpportunityHistory), with the moment the next change superseded it, or the deal was soft-deleted:
-- the state of the pipeline at the end of any past day d is the versions with changed_at <= d <
-- superseded_at. History rows are immutable and dated, and the first night's full extract carries
-- them back to the start, so past days can be rebuilt without looking ahead.
{{ config(materialized='table', post_hook='analyze {{ this }}') }}

with

history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
    where cast(changed_at as date) <= {{ night() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

latest_versions as (
    select
        *,
        row_number() over (partition by opportunity_id, history_id order by batch_date desc) as version_rank
    from history
),

versions as (
    select
        opportunity_id,
        history_id,
        stage,
        {{ stage_order('stage') }} as stage_order,
        amount,
        currency,
        probability,
        close_date,
        changed_at,
        lead(changed_at) over (partition by opportunity_id order by changed_at, history_id) as next_changed_at
    from latest_versions
    where version_rank = 1
),

ended as (
    select
        versions.*,
        opportunities.account_id,
        coalesce(
            versions.next_changed_at, case when opportunities.is_deleted then opportunities.updated_at end
        ) as superseded_at
    from versions
    left join opportunities
        on versions.opportunity_id = opportunities.opportunity_id
),

final as (
    select
        ended.opportunity_id,
        ended.history_id,
        ended.stage,
        ended.stage_order,
        ended.amount,
        ended.currency,
        ended.probability,
        ended.close_date,
        ended.changed_at,
        ended.superseded_at,
        cast(ended.changed_at as date) as valid_from_date,
        cast(ended.superseded_at as date) as superseded_date,
        accounts.segment,
        accounts.region,
        ended.stage in ('closed_won', 'closed_lost') as is_closed,
        ended.stage = 'closed_won' as is_won
    from ended
    left join accounts
        on ended.account_id = accounts.account_id
)

select * from final
