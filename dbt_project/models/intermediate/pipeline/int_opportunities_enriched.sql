-- One row per live opportunity as of the night, with its account's segment and region, the HR
-- employee behind its owner, closed/won flags and its amount in USD: at the rate of the close date
-- once closed, of the night while open (SPEC section 3). A table (analysed), not a view: every
-- pipeline mart reads it, and stacked views left the planner guessing at row counts.
{{ config(materialized='table', post_hook='analyze {{ this }}') }}

with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where cast(created_at as date) <= {{ night() }} and is_deleted is not true
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

flagged as (
    select
        opportunities.*,
        cast(opportunities.created_at as date) as created_date,
        cast(opportunities.closed_at as date) as closed_date,
        opportunities.stage in ('closed_won', 'closed_lost') as is_closed,
        opportunities.stage = 'closed_won' as is_won
    from opportunities
),

enriched as (
    select
        flagged.opportunity_id,
        flagged.opportunity_name,
        flagged.account_id,
        accounts.segment,
        accounts.region,
        accounts.country,
        flagged.owner_user_id,
        identities.employee_id,
        flagged.opportunity_type,
        flagged.stage,
        {{ stage_order('flagged.stage') }} as stage_order,
        flagged.is_closed,
        flagged.is_won,
        flagged.forecast_category,
        flagged.amount,
        flagged.currency,
        cast(round(flagged.amount * fx_rates.rate_to_usd, 2) as numeric(18, 2)) as amount_usd,
        flagged.probability,
        flagged.created_at,
        flagged.created_date,
        flagged.close_date,
        flagged.closed_at,
        flagged.closed_date,
        flagged.lead_id,
        flagged.loss_reason,
        case when flagged.is_won then {{ day_count('flagged.created_at', 'flagged.closed_at') }} end as cycle_days,
        flagged.updated_at
    from flagged
    left join accounts
        on flagged.account_id = accounts.account_id
    left join identities
        on flagged.owner_user_id = identities.user_id
    left join fx_rates
        on
            flagged.currency = fx_rates.currency
            and fx_rates.rate_date = case
                when flagged.is_closed then coalesce(flagged.closed_date, flagged.close_date)
                else {{ night() }}
            end
)

select * from enriched
