-- One row per live opportunity as of the night, with its account's segment and region, the HR
-- employee behind its owner, closed/won flags and its amount in USD: at the rate of the close date
-- once closed, of the night while open (SPEC section 3). Every pipeline mart reads it.
-- Incremental by deal (delete+insert): a night rewrites the deals delivered since the table's last
-- build, those dated into the night since, and those whose account's segment, region or country,
-- owner's employee, or rate (tonight's while open, the close day's once closed; the rate used is kept
-- to compare) is no longer the one held, so the table equals a full build. Deals
-- deleted or dated after the night since are removed first (pre-hook). As a table rebuilt whole it
-- took 9 s a night at --scale 1. Outside the write-audit-publish swap (`intermediate`), so a rerun or
-- an older night empties it and rebuilds it whole.
-- Indexed on account_id: the deals on the accounts delivered since are looked up, not 1M deals scanned
-- (0.65 s -> 0.03 s for 226 accounts at --scale 1); and on the won deals' closed_date, for the won deals
-- int_bookings_credited reads as their close date comes into the nights since.
-- Indexed on the closed deals' rate day too: the rate days published again since are few (the night's
-- rates), and their deals are looked up (macros/keys_changed_since.sql).
-- depends_on: {{ source('crm', 'accounts') }} (the raw batches of accounts, read on incremental nights)
-- depends_on: {{ source('crm', 'fx_rates') }} (the raw batches of rates, read on incremental nights)
{%- set owners_elsewhere = users_credited_elsewhere(ref('int_rep_identities_matched'), 'owner_user_id') %}
{%- set since = last_built_night() %}
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
            "{{ record_credited_users(ref('int_rep_identities_matched')) }}",
            'create index if not exists int_opportunities_enriched_key on {{ this }} (opportunity_id)',
            'create index if not exists int_opportunities_enriched_night on {{ this }} (loaded_through)',
            'create index if not exists int_opportunities_enriched_account on {{ this }} (account_id)',
            'create index if not exists int_opportunities_enriched_won_closed on {{ this }} (closed_date) where is_won',
            'create index if not exists int_opportunities_enriched_rate_day on {{ this }}'
            ' (coalesce(closed_date, close_date)) where is_closed',
            "{{ analyze_when_stale() }}",
        ],
    )
}}

with

opportunities as not materialized (
    -- not materialised (Postgres): each use is planned on its own (an index on the night's batches, a
    -- scan for the rest) instead of copying all deals once
    select * from {{ ref('stg_crm__opportunities') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where not is_deleted
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

changed_deals as (
    {% if is_incremental() -%}
        -- delivered since the last build (a version, a deletion), or dated into the nights since
        {{ keys_delivered_or_dated_since('opportunities', 'opportunity_id', since) }}
        union
        -- open and valued at another rate than tonight's
        select built.opportunity_id
        from {{ this }} as built
        left join fx_rates
            on built.currency = fx_rates.currency and fx_rates.rate_date = {{ night() }}
        where not built.is_closed and built.fx_rate_to_usd is distinct from fx_rates.rate_to_usd
        union
        -- on an account delivered since (its raw batches: only the new partitions are read) whose
        -- segment, region or country is no longer the one held
        select built.opportunity_id
        from {{ this }} as built
        left join accounts
            on built.account_id = accounts.account_id
        where
            built.account_id in ({{ accounts_delivered_since(since) }})
            and (
                built.segment is distinct from accounts.segment
                or built.region is distinct from accounts.region
                or built.country is distinct from accounts.country
            )
        {%- if owners_elsewhere %}
            union
            -- owned by a CRM user now matched to another employee (or none), by the matches the last
            -- build credited (macros/credited_users.sql), not a scan of every held row
            {{ keys_held_by_users('opportunity_id', 'owner_user_id', owners_elsewhere) }}
        {%- endif %}
        union
        -- closed on a day whose rate was published again since (a correction)
        {{ keys_at_a_republished_rate('opportunity_id', 'coalesce({row}.closed_date, {row}.close_date)', 'fx_rates',
                                      first_rate_day_published_since(since),
                                      valued_when='{row}.is_closed') }}
    {%- else -%}
        select opportunities.opportunity_id from opportunities
        where false
    {%- endif %}
),

live as materialized (
    -- materialised: the night's few keys are joined to the other tables, not all of them first
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
        fx_rates.rate_to_usd as fx_rate_to_usd,
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
