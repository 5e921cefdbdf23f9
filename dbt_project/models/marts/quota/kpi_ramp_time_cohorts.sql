-- Ramp time rolled up by hire cohort (the quarter of the hire date), over the reps whose ramp is observable.
with

ramp_times as (
    -- hires made before the data could show their ramp would make old cohorts look slow
    select * from {{ ref('kpi_ramp_time') }}
    where ramp_observable
),

aggregated as (
    select
        hire_cohort,
        count(*) as reps_hired,
        count(ramped_month) as reps_ramped,
        avg(ramp_days) as mean_ramp_days,
        percentile_cont(0.5) within group (order by ramp_days) as median_ramp_days,
        avg(days_to_first_deal) as mean_days_to_first_deal
    from ramp_times
    group by hire_cohort
),

final as (
    select
        cast(hire_cohort as date) as hire_cohort,
        cast(reps_hired as integer) as reps_hired,
        cast(reps_ramped as integer) as reps_ramped,
        cast(round(mean_ramp_days, 2) as numeric(10, 2)) as mean_ramp_days,
        cast(round(cast(median_ramp_days as numeric), 2) as numeric(10, 2)) as median_ramp_days,
        cast(round(mean_days_to_first_deal, 2) as numeric(10, 2)) as mean_days_to_first_deal
    from aggregated
)

select * from final
