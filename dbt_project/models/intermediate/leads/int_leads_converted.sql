-- One row per live lead created up to the night, with what became of it: converted into an
-- opportunity, and whether that deal was won.
-- Incremental by lead (delete+insert): a night rewrites the leads delivered since the table's last
-- build, those dated into the night since, those whose owner is now matched to another employee, and
-- those whose deal's outcome changed (the deal rewritten or deleted since), so the table equals a
-- full build (a whole rebuild every night was the cost); leads deleted or dated after the night since
-- are removed first (by the engine). Outside the write-audit-publish swap: a rerun or an older night empties
-- it first. Indexed on converted_opportunity_id: the leads of the deals rewritten or deleted since are
-- looked up, not every lead scanned twice.
-- depends_on: {{ ref('stg_crm__opportunities') }} (the deals deleted since, read on incremental nights)
{%- set owners_elsewhere = users_credited_elsewhere(ref('int_rep_identities_matched'), 'owner_user_id') %}
{{
    config(
        materialized='incremental',
        unique_key='lead_id',
        incremental_engine={'strategy': 'by_key', 'removes_gone_from': 'stg_crm__leads', 'credits_users': true},
        indexes=[{'columns': ['lead_id']}, {'columns': ['loaded_through']}, {'columns': ['converted_opportunity_id']}],
    )
}}

with

leads as not materialized (
    -- not materialised (Postgres): each use is planned on its own (an index on the night's batches, a
    -- scan for the rest) instead of copying all leads once
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as not materialized (
    select * from {{ ref('int_opportunities_enriched') }}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

changed_leads as (
    {% if is_incremental() -%}
        -- delivered since the last build (a version, a deletion), or dated into the nights since
        {{ keys_delivered_or_dated_since('leads', 'lead_id', last_built_night()) }}
        {%- if owners_elsewhere %}
            union
            -- owned by a CRM user now matched to another employee (or none), by the matches the last
            -- build credited (macros/incremental/credited_users.sql), not a scan of every held row
            {{ keys_held_by_users('lead_id', 'owner_user_id', owners_elsewhere) }}
        {%- endif %}
        union
        -- converted into a deal rewritten since whose outcome is not the one held
        select built.lead_id
        from {{ this }} as built
        inner join opportunities
            on built.converted_opportunity_id = opportunities.opportunity_id
        where
            opportunities.loaded_through > {{ last_built_night() }}
            and built.is_won is distinct from opportunities.is_won
        union
        -- converted into a deal deleted (or dated after the night) since: no longer won
        select built.lead_id
        from {{ this }} as built
        where built.is_won and built.converted_opportunity_id in (
            select gone.opportunity_id from {{ ref('stg_crm__opportunities') }} as gone
            where
                gone._batch_id > cast({{ last_built_night() }} as text)
                and (gone.is_deleted or cast(gone.created_at as date) > {{ night() }})
        )
    {%- else -%}
        select leads.lead_id from leads
        where false
    {%- endif %}
),

live_leads as materialized (
    -- materialised: the night's few keys are joined to the other tables, not all of them first
    select * from leads
    where
        cast(created_at as date) <= {{ night() }} and is_deleted is not true
        {% if is_incremental() -%}
            and lead_id in (select changed_leads.lead_id from changed_leads)
        {%- endif %}
),

converted as (
    select
        live_leads.lead_id,
        live_leads.company,
        live_leads.lead_source,
        live_leads.status,
        live_leads.owner_user_id,
        identities.employee_id,
        live_leads.country,
        live_leads.created_at,
        cast(live_leads.created_at as date) as created_date,
        cast({{ dbt.date_trunc('month', 'live_leads.created_at') }} as date) as cohort_month,
        live_leads.converted_at,
        live_leads.converted_opportunity_id,
        live_leads.converted_account_id,
        live_leads.converted_opportunity_id is not null as is_converted,
        coalesce(opportunities.is_won, false) as is_won,
        {{ night() }} as loaded_through
    from live_leads
    left join identities
        on live_leads.owner_user_id = identities.user_id
    left join opportunities
        on live_leads.converted_opportunity_id = opportunities.opportunity_id
)

select * from converted
