-- One row per live lead created up to the night: source, owner, conversion and outcome, and the
-- days from its creation to its first activity.
-- Incremental by lead (delete+insert): a night rewrites the leads int_leads_converted rewrote since
-- this table's own build, the leads with an activity written or dated into the night since, and the
-- leads whose first activity was rewritten (it may have moved to another lead or day); leads gone from
-- int_leads_converted are removed first (by the engine), and the old versions of the rows rewritten or
-- removed are kept for the lead KPIs kept incrementally (macros/incremental/replaced_rows.sql). Write-audit-publish
-- recycles the previous-but-one marts as the build schema, so this catches up two nights; a rerun or an
-- older night empties it. Indexed on the quarter of created_date (kpi_lead_generation reads the leads
-- from the first quarter it rebuilds on) and on first_activity_id (the leads whose first activity was
-- delivered again are looked up, not found by reading every lead).
-- depends_on: {{ ref('stg_crm__leads') }} (the engine reads the deletions from staging)
{{
    config(
        materialized='incremental',
        unique_key='lead_id',
        incremental_engine={
            'strategy': 'by_key', 'rewrites': 'fct_leads_rewritten', 'prepare_keys': true, 'before_images': true,
            'removes_gone_from': 'stg_crm__leads',
        },
        post_hook=[
            'create index if not exists fct_leads_created_quarter on {{ this }}'
            ~ ' (date_trunc(\'quarter\', cast(created_date as timestamp)))',
            'create index if not exists fct_leads_first_activity on {{ this }} (first_activity_id)'
            ~ ' where first_activity_id is not null',
        ],
        indexes=[{'columns': ['lead_id']}, {'columns': ['loaded_through']}],
    )
}}

with

leads as (
    select * from {{ ref('int_leads_converted') }}
    {% if is_incremental() -%}
        where lead_id in ({{ keys_to_rewrite('lead_id') }})
    {%- endif %}
),

activities as (
    select * from {{ ref('fct_activities') }}
    where
        lead_id is not null and activity_date <= {{ night() }}
        {% if is_incremental() -%}
            -- the keys as an array: Postgres reads the activities' lead index for each, where as a
            -- semi-join it read the whole index
            and lead_id = any(array({{ keys_to_rewrite('lead_id') }}))
        {%- endif %}
),

first_activities as (
    -- the earliest activity (the lowest id among ties), remembered so a later change to it is seen
    select distinct on (lead_id)
        lead_id,
        activity_id as first_activity_id,
        occurred_at as first_activity_at
    from activities
    order by lead_id, occurred_at, activity_id
),

final as (
    select
        cast(leads.lead_id as text) as lead_id,
        cast(leads.company as text) as company,
        cast(leads.lead_source as text) as lead_source,
        cast(leads.status as text) as status,
        cast(leads.owner_user_id as text) as owner_user_id,
        cast(leads.employee_id as text) as employee_id,
        cast(leads.country as text) as country,
        cast(leads.created_at as timestamp) as created_at,
        cast(leads.created_date as date) as created_date,
        cast(leads.cohort_month as date) as cohort_month,
        cast(leads.converted_at as timestamp) as converted_at,
        cast(leads.converted_opportunity_id as text) as converted_opportunity_id,
        cast(leads.converted_account_id as text) as converted_account_id,
        cast(leads.is_converted as boolean) as is_converted,
        cast(leads.is_won as boolean) as is_won,
        cast(first_activities.first_activity_at as timestamp) as first_activity_at,
        cast({{ day_count('leads.created_at', 'first_activities.first_activity_at') }} as integer)
            as days_to_first_activity,
        cast(first_activities.first_activity_id as text) as first_activity_id,
        cast({{ night() }} as date) as loaded_through
    from leads
    left join first_activities
        on leads.lead_id = first_activities.lead_id
)

select * from final
