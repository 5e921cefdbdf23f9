-- Stage conversion per opportunity-creation month: for each open stage, the deals that reached it
-- (entered it or any later open stage) and the share of those that reached the next one (for
-- negotiation, the next stage is closed_won).
-- Deals are counted per creation month and stages reached first, then fanned out to the five stages:
-- fanning out every deal made 5M rows to aggregate at --scale 1.
with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
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
        count(*) as deals
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

aggregated as (
    select
        cohort_month,
        stage,
        stage_order,
        sum(case when reached_stage then deals else 0 end) as reached_deals,
        sum(case when reached_stage and reached_next_stage then deals else 0 end) as advanced_deals
    from reached
    group by cohort_month, stage, stage_order
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        cast(stage as text) as stage,
        cast(stage_order as integer) as stage_order,
        cast(reached_deals as integer) as reached_deals,
        cast(advanced_deals as integer) as advanced_deals,
        cast(round({{ safe_divide('advanced_deals', 'reached_deals') }}, 6) as numeric(8, 6)) as conversion_rate
    from aggregated
)

select * from final
