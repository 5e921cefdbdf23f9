-- Time in stage, to find slow stages: whole days deals spent in each stage before leaving it, mean
-- and median, per period in which the stay ended.
with

stays as (
    select * from {{ ref('fct_opportunity_stage_changes') }}
    where left_at is not null and cast(left_at as date) <= {{ night() }} and stage_order between 1 and 5
),

exploded as (
    select
        period_types.period_type,
        {{ period_start('period_types.period_type', 'stays.left_at') }} as period_start,
        stays.stage,
        stays.stage_order,
        stays.days_in_stage
    from stays
    cross join {{ period_types() }} as period_types
),

aggregated as (
    select
        period_type,
        period_start,
        stage,
        stage_order,
        count(*) as stays,
        avg(days_in_stage) as mean_days_in_stage,
        percentile_cont(0.5) within group (order by days_in_stage) as median_days_in_stage
    from exploded
    group by period_type, period_start, stage, stage_order
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(stage as text) as stage,
        cast(stage_order as integer) as stage_order,
        cast(stays as integer) as stays,
        cast(round(mean_days_in_stage, 2) as numeric(10, 2)) as mean_days_in_stage,
        cast(round(cast(median_days_in_stage as numeric), 2) as numeric(10, 2)) as median_days_in_stage
    from aggregated
)

select * from final
