-- One row per live lead created up to the night, with what became of it: converted into an
-- opportunity, and whether that deal was won.
-- A table: as a view, its unique test and fct_leads each re-joined every lead (10 s a test at --scale 1).
{{ config(materialized='table', post_hook='analyze {{ this }}') }}

with

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where cast(created_at as date) <= {{ night() }} and is_deleted is not true
),

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

converted as (
    select
        leads.lead_id,
        leads.company,
        leads.lead_source,
        leads.status,
        leads.owner_user_id,
        identities.employee_id,
        leads.country,
        leads.created_at,
        cast(leads.created_at as date) as created_date,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as cohort_month,
        leads.converted_at,
        leads.converted_opportunity_id,
        leads.converted_account_id,
        leads.converted_opportunity_id is not null as is_converted,
        coalesce(opportunities.is_won, false) as is_won
    from leads
    left join identities
        on leads.owner_user_id = identities.user_id
    left join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
)

select * from converted
