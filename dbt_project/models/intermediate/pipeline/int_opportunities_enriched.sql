-- One row per live opportunity as of the night, with its account's segment and region, the HR
-- employee behind its owner, closed/won flags and its amount in USD: at the rate of the close date
-- once closed, of the night while open (SPEC section 3). Every pipeline mart reads it. A closed deal
-- keeps the owner, segment, region and country of the first extract that showed it closed (its first
-- closed version in opportunities_snapshot, its account's version of that batch): a later reassignment
-- never moves past bookings (SPEC: owner at close).
-- Incremental by deal (delete+insert): a night rewrites the deals delivered since the table's last
-- build, those dated into the night since, and those whose account's segment, region or country,
-- owner's employee, or rate (tonight's while open, the close day's once closed; the rate used is kept
-- to compare) is no longer the one held, so the table equals a full build (a whole rebuild every night
-- was the cost). Deals deleted or dated after the night since are removed first (by the engine). Outside the
-- write-audit-publish swap (`intermediate`), so a rerun or an older night empties it and rebuilds it whole.
-- Indexed on account_id: the deals on the accounts delivered since are looked up, not every deal scanned;
-- and on the won deals' closed_date, for the won deals int_bookings_credited reads as their close date
-- comes into the nights since.
-- Indexed on the closed deals' rate day too: the rate days published again since are few (the night's
-- rates), and their deals are looked up (macros/incremental/keys_changed_since.sql).
-- depends_on: {{ source('crm', 'accounts') }} (the raw batches of accounts, read on incremental nights)
-- depends_on: {{ source('crm', 'fx_rates') }} (the raw batches of rates, read on incremental nights)
{%- set owners_elsewhere = users_credited_elsewhere(ref('int_rep_identities_matched'), 'owner_user_id') %}
{%- set since = last_built_night() %}
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_engine={'strategy': 'by_key', 'removes_gone_from': 'stg_crm__opportunities', 'credits_users': true},
        post_hook=[
            'create index if not exists int_opportunities_enriched_won_closed on {{ this }} (closed_date) where is_won',
            'create index if not exists int_opportunities_enriched_rate_day on {{ this }}'
            ' (coalesce(closed_date, close_date)) where is_closed',
        ],
        indexes=[{'columns': ['opportunity_id']}, {'columns': ['loaded_through']}, {'columns': ['account_id']}],
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

closed_versions as (
    -- the snapshot only moves forward: a rerun of an older night must not see later extracts
    select * from {{ ref('opportunities_snapshot') }}
    where stage in ('closed_won', 'closed_lost') and _batch_id <= cast({{ night() }} as text)
),

account_versions as (
    select * from {{ ref('stg_crm__account_versions') }}
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
            not built.is_closed  -- a closed deal keeps its account's values at close
            and built.account_id in ({{ accounts_delivered_since(since) }})
            and (
                built.segment is distinct from accounts.segment
                or built.region is distinct from accounts.region
                or built.country is distinct from accounts.country
            )
        {%- if owners_elsewhere %}
            union
            -- owned by a CRM user now matched to another employee (or none), by the matches the last
            -- build credited (macros/incremental/credited_users.sql), not a scan of every held row
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

close_stamps as materialized (
    -- the first extract that showed each closed deal closed: its owner and account then
    select distinct on (closed_versions.opportunity_id)
        closed_versions.opportunity_id,
        closed_versions.owner_user_id,
        closed_versions.account_id,
        closed_versions._batch_id as closed_batch
    from closed_versions
    where
        closed_versions.opportunity_id in (
            select flagged.opportunity_id from flagged
            where flagged.is_closed
        )
    order by closed_versions.opportunity_id asc, closed_versions._batch_id asc, closed_versions.updated_at asc
),

accounts_at_close as (
    select distinct on (close_stamps.opportunity_id)
        close_stamps.opportunity_id,
        account_versions.segment,
        account_versions.region,
        account_versions.country
    from close_stamps
    inner join account_versions
        on
            close_stamps.account_id = account_versions.account_id
            and close_stamps.closed_batch >= account_versions._batch_id
    order by close_stamps.opportunity_id asc, account_versions.updated_at desc, account_versions._batch_id desc
),

stamped as (
    select
        flagged.*,
        coalesce(close_stamps.owner_user_id, flagged.owner_user_id) as credited_user_id,
        case when accounts_at_close.opportunity_id is not null then accounts_at_close.segment else accounts.segment end
            as segment,
        case when accounts_at_close.opportunity_id is not null then accounts_at_close.region else accounts.region end
            as region,
        case when accounts_at_close.opportunity_id is not null then accounts_at_close.country else accounts.country end
            as country
    from flagged
    left join close_stamps
        on flagged.opportunity_id = close_stamps.opportunity_id
    left join accounts_at_close
        on flagged.opportunity_id = accounts_at_close.opportunity_id
    left join accounts
        on flagged.account_id = accounts.account_id
),

enriched as (
    select
        stamped.opportunity_id,
        stamped.opportunity_name,
        stamped.account_id,
        stamped.segment,
        stamped.region,
        stamped.country,
        stamped.credited_user_id as owner_user_id,
        identities.employee_id,
        stamped.opportunity_type,
        stamped.stage,
        {{ stage_order('stamped.stage') }} as stage_order,
        stamped.is_closed,
        stamped.is_won,
        stamped.forecast_category,
        stamped.amount,
        stamped.currency,
        cast(round(stamped.amount * fx_rates.rate_to_usd, 2) as numeric(18, 2)) as amount_usd,
        fx_rates.rate_to_usd as fx_rate_to_usd,
        stamped.probability,
        stamped.created_at,
        stamped.created_date,
        stamped.close_date,
        stamped.closed_at,
        stamped.closed_date,
        stamped.lead_id,
        stamped.loss_reason,
        case when stamped.is_won then {{ day_count('stamped.created_at', 'stamped.closed_at') }} end as cycle_days,
        stamped.updated_at,
        {{ night() }} as loaded_through
    from stamped
    left join identities
        on stamped.credited_user_id = identities.user_id
    left join fx_rates
        on
            stamped.currency = fx_rates.currency
            and fx_rates.rate_date = case
                when stamped.is_closed then coalesce(stamped.closed_date, stamped.close_date)
                else {{ night() }}
            end
)

select * from enriched
