-- Every version of every opportunity from its history (one row per change, as Salesforce
-- OpportunityHistory), with the moment the next change superseded it: the state of the pipeline at
-- the end of any past day d is the versions with changed_at <= d < superseded_at. History rows are
-- immutable and dated, and the first night's full extract carries them back to the start, so past
-- days can be rebuilt without looking ahead.
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
        lead(changed_at) over (partition by opportunity_id order by changed_at, history_id) as superseded_at
    from latest_versions
    where version_rank = 1
),

final as (
    select
        versions.*,
        cast(versions.changed_at as date) as valid_from_date,
        cast(versions.superseded_at as date) as superseded_date,
        versions.stage in ('closed_won', 'closed_lost') as is_closed,
        versions.stage = 'closed_won' as is_won,
        accounts.segment,
        accounts.region
    from versions
    left join opportunities
        on versions.opportunity_id = opportunities.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id
)

select * from final
