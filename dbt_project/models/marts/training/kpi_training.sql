-- Training per course: completions and mean score, and the mean ramp time of quota-carrying reps who
-- completed it within their first 90 days against those who did not (ramped reps only).
with

completions as (
    select * from {{ ref('stg_hr__training_completions') }}
    where cast(completed_at as date) <= {{ night() }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

ramp_times as (
    select * from {{ ref('kpi_ramp_time') }}
),

courses as (
    select
        course_id,
        max(course_name) as course_name,
        count(*) as completions,
        avg(score) as mean_score
    from completions
    group by course_id
),

early_completers as (
    select distinct
        completions.course_id,
        completions.employee_id
    from completions
    inner join reps
        on completions.employee_id = reps.employee_id
    where {{ day_count('reps.hire_date', 'completions.completed_at') }} between 0 and 90
),

ramp_by_course as (
    select
        courses.course_id,
        avg(case when early_completers.employee_id is not null then ramp_times.ramp_days end)
            as mean_ramp_days_completed_early,
        count(case when early_completers.employee_id is not null then ramp_times.ramp_days end)
            as ramped_reps_completed_early,
        avg(case when early_completers.employee_id is null then ramp_times.ramp_days end)
            as mean_ramp_days_not_completed_early,
        count(case when early_completers.employee_id is null then ramp_times.ramp_days end)
            as ramped_reps_not_completed_early
    from courses
    cross join ramp_times
    left join early_completers
        on courses.course_id = early_completers.course_id and ramp_times.employee_id = early_completers.employee_id
    group by courses.course_id
),

final as (
    select
        cast(courses.course_id as text) as course_id,
        cast(courses.course_name as text) as course_name,
        cast(courses.completions as integer) as completions,
        cast(round(courses.mean_score, 2) as numeric(6, 2)) as mean_score,
        cast(coalesce(ramp_by_course.ramped_reps_completed_early, 0) as integer) as ramped_reps_completed_early,
        cast(round(ramp_by_course.mean_ramp_days_completed_early, 2) as numeric(10, 2))
            as mean_ramp_days_completed_early,
        cast(coalesce(ramp_by_course.ramped_reps_not_completed_early, 0) as integer)
            as ramped_reps_not_completed_early,
        cast(round(ramp_by_course.mean_ramp_days_not_completed_early, 2) as numeric(10, 2))
            as mean_ramp_days_not_completed_early
    from courses
    left join ramp_by_course
        on courses.course_id = ramp_by_course.course_id
)

select * from final
