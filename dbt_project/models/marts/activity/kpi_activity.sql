-- Activity per rep and week (weeks start on Monday): calls, emails, meetings and demos logged.
-- Incremental by week: a night recomputes the weeks its changed activities were or are in, and those
-- of the activities dated into the nights since, and keeps the rest (macros/incremental/weeks_to_rebuild.sql).
-- Indexed on week_start (the engine deletes the weeks it rebuilds) and loaded_through: the quality
-- gate checks every row of the weeks the night wrote.
{%- set weeks = weeks_to_rebuild() %}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        incremental_engine={
            'strategy': 'by_period', 'period': 'week', 'fact': 'fct_activities', 'week_column': 'activity_week',
            'date_column': 'activity_date', 'batch_column': 'batch_date', 'week_start_column': 'week_start',
        },
        indexes=[{'columns': ['week_start']}, {'columns': ['loaded_through']}],
    )
}}

with

activities as (
    select * from {{ ref('fct_activities') }}
    where
        employee_id is not null and activity_date <= {{ night() }}
        and {{ in_weeks(weeks, 'activity_week', 'activity_date') }}
),

aggregated as (
    select
        employee_id,
        activity_week,
        sum(case when activity_type = 'call' then 1 else 0 end) as calls,
        sum(case when activity_type = 'email' then 1 else 0 end) as emails,
        sum(case when activity_type = 'meeting' then 1 else 0 end) as meetings,
        sum(case when activity_type = 'demo' then 1 else 0 end) as demos,
        count(*) as activities,
        coalesce(sum(duration_minutes), 0) as minutes
    from activities
    group by employee_id, activity_week
),

final as (
    select
        cast(employee_id as text) as employee_id,
        cast(activity_week as date) as week_start,
        cast(calls as integer) as calls,
        cast(emails as integer) as emails,
        cast(meetings as integer) as meetings,
        cast(demos as integer) as demos,
        cast(activities as integer) as activities,
        cast(minutes as integer) as minutes,
        cast({{ night() }} as date) as loaded_through
    from aggregated
)

select * from final
