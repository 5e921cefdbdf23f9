-- CRM hygiene per night: how many records fail each check (SPEC: CRM hygiene; activity on a deal, its
-- account or its lead keeps it from being stale; duplicates share a normalised name and a country).
-- Incremental: the night's rows are replaced, published nights are carried over.
{{
    config(
        materialized='incremental',
        unique_key='snapshot_date',
        incremental_engine={'strategy': 'by_slice'},
    )
}}

with

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
    where not is_closed
),

activities as (
    select * from {{ ref('fct_activities') }}
    where
        activity_date > {{ dbt.dateadd('day', -30, night()) }}
        and activity_date <= {{ night() }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

-- a deal is touched when an activity of the last 30 days is on it, on its account or on its lead
touched_deals as (
    select opportunity_id as touched_id from activities
    where opportunity_id is not null
),

touched_accounts as (
    select account_id as touched_id from activities
    where account_id is not null
),

touched_leads as (
    select lead_id as touched_id from activities
    where lead_id is not null
),

-- the open deals with at least one such activity, each once: counted and subtracted rather than found by
-- three anti-joins in a row, whose estimates fall to one row and let Postgres pick a nested loop over
-- every activity for each deal
touched_opportunities as (
    select opportunities.opportunity_id from opportunities
    where opportunities.opportunity_id in (select touched_deals.touched_id from touched_deals)
    union
    select opportunities.opportunity_id from opportunities
    where opportunities.account_id in (select touched_accounts.touched_id from touched_accounts)
    union
    select opportunities.opportunity_id from opportunities
    where opportunities.lead_id in (select touched_leads.touched_id from touched_leads)
),

duplicate_groups as (
    select count(*) - 1 as extra_accounts
    from accounts
    group by account_name_normalized, country
    having count(*) > 1
),

checks as (
    select
        'open_past_close_date' as check_name,
        count(*) as failing_rows
    from opportunities
    where close_date < {{ night() }}
    union all
    select
        'missing_amount' as check_name,
        count(*) as failing_rows
    from opportunities
    where amount is null
    union all
    select
        'no_activity_30d' as check_name,
        (select count(*) from opportunities) - (select count(*) from touched_opportunities) as failing_rows
    union all
    select
        'duplicate_accounts' as check_name,
        coalesce(sum(extra_accounts), 0) as failing_rows
    from duplicate_groups
    union all
    select
        'unmatched_crm_users' as check_name,
        count(*) as failing_rows
    from identities
    where not is_matched
),

final as (
    select
        cast({{ night() }} as date) as snapshot_date,
        cast(check_name as text) as check_name,
        cast(failing_rows as integer) as failing_rows
    from checks
)

select * from final
{{ published_rows_since('snapshot_date') }}
