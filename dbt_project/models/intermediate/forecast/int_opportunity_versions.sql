-- Every version of every opportunity (int_opportunity_history_versions) with the moment the next
-- change superseded it, or the deal was soft-deleted, and the deal's current segment and region: the
-- state of the pipeline at the end of any past day d is the versions with changed_at <= d <
-- superseded_at. A view: the deletions and accounts are tonight's, joined at read time, so the
-- incremental history table below never needs rewriting when only a deal's account or deletion changes.

with

history_versions as (
    select * from {{ ref('int_opportunity_history_versions') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where not is_deleted
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

ended as (
    select
        history_versions.*,
        opportunities.account_id,
        coalesce(
            history_versions.next_changed_at, case when opportunities.is_deleted then opportunities.updated_at end
        ) as superseded_at
    from history_versions
    left join opportunities
        on history_versions.opportunity_id = opportunities.opportunity_id
),

final as (
    select
        ended.opportunity_id,
        ended.account_id,
        ended.history_id,
        ended.stage,
        ended.stage_order,
        ended.amount,
        ended.currency,
        ended.probability,
        ended.close_date,
        ended.changed_at,
        ended.next_changed_at,
        ended.superseded_at,
        ended.is_first_close,
        ended.is_first_win,
        ended.furthest_open_stage_order,
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
