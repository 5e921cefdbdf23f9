-- Time in stage, to find slow stages: whole days deals spent in each stage before leaving it, mean
-- and median, per period in which the stay ended. Stays are counted per month, stage and length
-- first (a hash aggregate); quarters add up their months, and the median is read from the counts
-- (macros/utils/median_from_counts.sql) rather than sorting every stay twice.
-- Incremental by period: a night recomputes the months and quarters its changed stays ended in, before
-- and after the change, and keeps the rest (macros/incremental/periods_to_rebuild.sql).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        incremental_engine={
            'strategy': 'by_period', 'fact': 'fct_opportunity_stage_changes', 'key_column': 'history_id',
            'date_column': 'left_at',
            'counted_when': '{row}.left_at is not null and {row}.stage_order between 1 and 5',
        },
    )
}}
{#- the earliest quarter to rebuild, as a literal bound on the fact's date (from the engine's options) -#}
{%- set first_quarter = first_quarter_to_rebuild() %}

with

stays as (
    select * from {{ ref('fct_opportunity_stage_changes') }}
    where
        left_at is not null and cast(left_at as date) <= {{ night() }} and stage_order between 1 and 5
        and {{ in_periods_to_rebuild('left_at', first_quarter) }}
),

ended_in_month as (
    select
        stage,
        stage_order,
        days_in_stage,
        cast({{ dbt.date_trunc('month', 'left_at') }} as date) as month_start
    from stays
),

monthly_lengths as (
    select
        month_start,
        stage,
        stage_order,
        days_in_stage,
        count(*) as stays
    from ended_in_month
    group by month_start, stage, stage_order, days_in_stage
),

by_period as (
    select
        period_types.period_type,
        monthly_lengths.stage,
        monthly_lengths.stage_order,
        monthly_lengths.days_in_stage,
        monthly_lengths.stays,
        {{ period_start('period_types.period_type', 'monthly_lengths.month_start') }} as period_start
    from monthly_lengths
    cross join {{ period_types() }} as period_types
),

lengths as (
    select
        period_type,
        period_start,
        stage,
        stage_order,
        days_in_stage,
        sum(stays) as stays
    from by_period
    group by period_type, period_start, stage, stage_order, days_in_stage
),

measured_lengths as (
    select * from lengths
    where days_in_stage is not null
),

medians as (
    {{ median_from_counts('measured_lengths', ['period_type', 'period_start', 'stage', 'stage_order'],
                          'days_in_stage', 'stays') }}
),

aggregated as (
    select
        period_type,
        period_start,
        stage,
        stage_order,
        sum(stays) as stays,
        sum(days_in_stage * stays) / nullif(sum(case when days_in_stage is not null then stays end), 0)
            as mean_days_in_stage
    from lengths
    group by period_type, period_start, stage, stage_order
),

final as (
    select
        cast(aggregated.period_type as text) as period_type,
        cast(aggregated.period_start as date) as period_start,
        cast(aggregated.stage as text) as stage,
        cast(aggregated.stage_order as integer) as stage_order,
        cast(aggregated.stays as integer) as stays,
        cast(round(aggregated.mean_days_in_stage, 2) as numeric(10, 2)) as mean_days_in_stage,
        cast(round(cast(medians.median_value as numeric), 2) as numeric(10, 2)) as median_days_in_stage,
        cast({{ night() }} as date) as loaded_through
    from aggregated
    left join medians using (period_type, period_start, stage, stage_order)
    where {{ is_period_to_rebuild('aggregated.period_type', 'aggregated.period_start') }}
)

select * from final
