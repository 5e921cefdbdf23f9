-- One row per live opportunity as of the night, with its account's segment and region, the HR
-- employee behind its owner, closed/won flags and its amount in USD: at the rate of the close date
-- once closed, of the night while open (SPEC section 3). Every pipeline mart reads it.
-- Incremental by deal (delete+insert): a night rewrites the deals whose row was delivered since the
-- table's last build, the deals dated into the night since, every open deal (valued at tonight's
-- rate), and the deals whose account, owner's employee or close-date rate no longer match what the
-- table holds: compared, not guessed, so the table equals a full build. Deals deleted or dated after
-- the night since are removed first (pre-hook). At --scale 1 the full build took 9 s a night.
-- Outside the write-audit-publish swap (`intermediate`), so a rerun or an older night empties it and
-- rebuilds it whole.
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ empty_unless_moving_forward('loaded_through') }}",
            "{{ remove_keys_gone_since_built(ref('stg_crm__opportunities'), 'opportunity_id') }}",
        ],
        post_hook=[
            'create index if not exists int_opportunities_enriched_key on {{ this }} (opportunity_id)',
            'create index if not exists int_opportunities_enriched_night on {{ this }} (loaded_through)',
            'analyze {{ this }}',
        ],
    )
}}

with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
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

{% if is_incremental() -%}
built as (
    select * from {{ this }}
),

last_build as (
    select coalesce(max(loaded_through), cast('1900-01-01' as date)) as night from built
),

changed_deals as (
    select opportunities.opportunity_id
    from opportunities
    cross join last_build
    where
        opportunities._batch_id > cast(last_build.night as text)
        or cast(opportunities.created_at as date) > last_build.night
    union
    select built.opportunity_id
    from built
    left join accounts
        on built.account_id = accounts.account_id
    left join identities
        on built.owner_user_id = identities.user_id
    left join fx_rates
        on
            built.currency = fx_rates.currency
            and fx_rates.rate_date = coalesce(built.closed_date, built.close_date)
    where
        not built.is_closed
        or built.segment is distinct from accounts.segment
        or built.region is distinct from accounts.region
        or built.country is distinct from accounts.country
        or built.employee_id is distinct from identities.employee_id
        or built.amount_usd is distinct from cast(round(built.amount * fx_rates.rate_to_usd, 2) as numeric(18, 2))
),

{% endif -%}

live as (
    select * from opportunities
    where
        cast(created_at as date) <= {{ night() }} and is_deleted is not true
        {% if is_incremental() -%}
            and opportunity_id in (select changed_deals.opportunity_id from changed_deals)
        {%- endif %}
),

flagged as (
    select
        live.*,
        cast(live.created_at as date) as created_date,
        cast(live.closed_at as date) as closed_date,
        live.stage in ('closed_won', 'closed_lost') as is_closed,
        live.stage = 'closed_won' as is_won
    from live
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
        flagged.updated_at,
        {{ night() }} as loaded_through
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
