-- One row per live lead created up to the night, with what became of it: converted into an
-- opportunity, and whether that deal was won.
-- Incremental by lead (delete+insert): a night rewrites the leads delivered since the table's last
-- build, those dated into the night since, and those whose owner's employee or deal outcome no longer
-- match what the table holds (compared, so the table equals a full build); leads deleted or dated
-- after the night since are removed first (pre-hook). As a table rebuilt whole it took 9 s a night at
-- --scale 1. Outside the write-audit-publish swap: a rerun or an older night empties it first.
{{
    config(
        materialized='incremental',
        unique_key='lead_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=[
            "{{ empty_unless_moving_forward('loaded_through') }}",
            "{{ remove_keys_gone_since_built(ref('stg_crm__leads'), 'lead_id') }}",
        ],
        post_hook=[
            'create index if not exists int_leads_converted_key on {{ this }} (lead_id)',
            'create index if not exists int_leads_converted_night on {{ this }} (loaded_through)',
            'analyze {{ this }}',
        ],
    )
}}

with

leads as (
    select * from {{ ref('stg_crm__leads') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

{% if is_incremental() -%}
built as (
    select * from {{ this }}
),

last_build as (
    select coalesce(max(loaded_through), cast('1900-01-01' as date)) as night from built
),

changed_leads as (
    select leads.lead_id
    from leads
    cross join last_build
    where
        leads._batch_id > cast(last_build.night as text)
        or cast(leads.created_at as date) > last_build.night
    union
    select built.lead_id
    from built
    left join identities
        on built.owner_user_id = identities.user_id
    left join opportunities
        on built.converted_opportunity_id = opportunities.opportunity_id
    where
        built.employee_id is distinct from identities.employee_id
        or built.is_won is distinct from coalesce(opportunities.is_won, false)
),

{% endif -%}

live_leads as (
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
