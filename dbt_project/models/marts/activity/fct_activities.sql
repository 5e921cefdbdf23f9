-- One row per activity (the latest batch's version), credited to the HR employee behind the CRM
-- user. Incremental: a night reads only the batches loaded since the last build (delete+insert by
-- activity), so nightly cost follows the change, not the history.
-- Indexed on batch_date: the quality gate checks the night's rows, and the catch-up reads the newest;
-- and on lead_id and activity_date: fct_leads finds and reads the activities of the leads it rewrites;
-- and on the key: delete+insert finds the rows it replaces, not a scan of every activity.
-- A night also rewrites the activities of users now matched to another employee (a changed work email),
-- as a full rebuild would credit them (macros/incremental/credited_users.sql). The old versions of the rows a night
-- rewrites are kept for kpi_activity, which recomputes only the weeks a night touches
-- (macros/incremental/weeks_to_rebuild.sql); activities are never removed.
{%- set recredited = users_credited_elsewhere(ref('int_rep_identities_matched')) %}
{{
    config(
        materialized='incremental',
        unique_key='activity_id',
        incremental_engine={
            'strategy': 'by_key', 'night_column': 'batch_date', 'rebuild_unless_moving_forward': false,
            'rewrites': 'fct_activities_rewritten', 'before_images': true, 'credits_users': true,
        },
        post_hook=[
            'create index if not exists fct_activities_lead on {{ this }} (lead_id) where lead_id is not null',
        ],
        indexes=[{'columns': ['batch_date']}, {'columns': ['activity_date']}, {'columns': ['activity_id']}],
    )
}}

with

activities as (
    select * from {{ ref('stg_crm__activities') }}
    {% if is_incremental() %}
        -- on the raw partition key, so only the new batches' partitions are read (a filter on the cast
        -- batch_date read all of them); the same batches as fct_activities_rewritten
        where _batch_id > (
            select cast(coalesce(max(loaded.batch_date), cast('1900-01-01' as date)) as text) from {{ this }} as loaded
        )
    {% endif %}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

ranked_versions as (
    select
        *,
        row_number() over (partition by activity_id order by batch_date desc, updated_at desc) as version_rank
    from activities
),

latest_versions as (
    select
        activity_id,
        user_id,
        activity_type,
        account_id,
        opportunity_id,
        lead_id,
        occurred_at,
        duration_minutes,
        batch_date
    from ranked_versions
    where version_rank = 1
    -- and those held with a user now matched to another employee, credited anew
    {{ activities_credited_anew(recredited) }}
),

final as (
    select
        cast(latest_versions.activity_id as text) as activity_id,
        cast(latest_versions.user_id as text) as user_id,
        cast(identities.employee_id as text) as employee_id,
        cast(latest_versions.activity_type as text) as activity_type,
        cast(latest_versions.account_id as text) as account_id,
        cast(latest_versions.opportunity_id as text) as opportunity_id,
        cast(latest_versions.lead_id as text) as lead_id,
        cast(latest_versions.occurred_at as timestamp) as occurred_at,
        cast(latest_versions.occurred_at as date) as activity_date,
        cast({{ dbt.date_trunc('week', 'latest_versions.occurred_at') }} as date) as activity_week,
        cast(latest_versions.duration_minutes as integer) as duration_minutes,
        cast(latest_versions.batch_date as date) as batch_date
    from latest_versions
    left join identities
        on latest_versions.user_id = identities.user_id
)

select * from final
