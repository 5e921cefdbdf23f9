-- One row per live lead created up to the night: source, owner, conversion and outcome, and the
-- days from its creation to its first activity.
with

leads as (
    select * from {{ ref('int_leads_converted') }}
),

activities as (
    select * from {{ ref('fct_activities') }}
    where lead_id is not null and activity_date <= {{ night() }}
),

first_activities as (
    select
        lead_id,
        min(occurred_at) as first_activity_at
    from activities
    group by lead_id
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
            as days_to_first_activity
    from leads
    left join first_activities
        on leads.lead_id = first_activities.lead_id
)

select * from final
