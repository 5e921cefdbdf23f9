-- Stage conversion per opportunity-creation month: for each open stage, the deals that reached it
-- (entered it or any later open stage) and the share of those that reached the next one (for
-- negotiation, the next stage is closed_won).
-- Deals are counted per creation month and stages reached first, then fanned out to the five stages:
-- fanning out every deal first made five rows a deal to aggregate.
-- Kept by deltas: a night adds the deals fct_opportunities rewrote and subtracts their earlier
-- versions, per creation month and stage, and keeps the other rows (macros/incremental/kept_by_deltas.sql): a whole
-- rebuild read every deal a night. A cohort has its five stage rows while it has a
-- deal: `cohort_deals` counts them, so a new cohort writes all five and an emptied one is removed.
{{
    config(
        materialized='incremental',
        unique_key=['cohort_month', 'stage'],
        incremental_engine={'strategy': 'by_deltas', 'fact': 'fct_opportunities', 'kept_while': 'cohort_deals'},
    )
}}
with

opportunities as (
    select * from ({{ signed_fact_rows(ref('fct_opportunities')) }}) as signed_rows
),

stages as (
    select * from {{ open_stages() }} as open_stages
),

cohorts as (
    select
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as cohort_month,
        reached_prospecting,
        reached_qualification,
        reached_discovery,
        reached_proposal,
        reached_negotiation,
        is_won,
        sum(sign) as deals
    from opportunities
    group by
        cohort_month, reached_prospecting, reached_qualification, reached_discovery, reached_proposal,
        reached_negotiation, is_won
),

reached as (
    select
        cohorts.cohort_month,
        stages.stage,
        stages.stage_order,
        cohorts.deals,
        case stages.stage_order
            when 1 then cohorts.reached_prospecting
            when 2 then cohorts.reached_qualification
            when 3 then cohorts.reached_discovery
            when 4 then cohorts.reached_proposal
            when 5 then cohorts.reached_negotiation
        end as reached_stage,
        case stages.stage_order
            when 1 then cohorts.reached_qualification
            when 2 then cohorts.reached_discovery
            when 3 then cohorts.reached_proposal
            when 4 then cohorts.reached_negotiation
            when 5 then cohorts.is_won
        end as reached_next_stage
    from cohorts
    cross join stages
),

deltas as (
    select
        cohort_month,
        stage,
        stage_order,
        sum(deals) as cohort_deals,
        sum(case when reached_stage then deals else 0 end) as reached_deals,
        sum(case when reached_stage and reached_next_stage then deals else 0 end) as advanced_deals
    from reached
    group by cohort_month, stage, stage_order
),

summed as (
    {{ held_plus_deltas('deltas', ['cohort_deals', 'reached_deals', 'advanced_deals'],
                        keys=['cohort_month', 'stage', 'stage_order']) }}
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        cast(stage as text) as stage,
        cast(stage_order as integer) as stage_order,
        cast(reached_deals as integer) as reached_deals,
        cast(advanced_deals as integer) as advanced_deals,
        cast(round({{ safe_divide('advanced_deals', 'reached_deals') }}, 6) as numeric(8, 6)) as conversion_rate,
        cast(cohort_deals as integer) as cohort_deals,
        cast({{ night() }} as date) as loaded_through
    from summed
)

select * from final
