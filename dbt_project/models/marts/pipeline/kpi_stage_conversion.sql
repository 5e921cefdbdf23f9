-- Stage conversion per opportunity-creation month: for each open stage, the deals that reached it
-- (entered it or any later open stage) and the share of those that reached the next one (for
-- negotiation, the next stage is closed_won).
with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

stages as (
    select * from {{ open_stages() }} as open_stages
),

reached as (
    select
        cast({{ dbt.date_trunc('month', 'opportunities.created_date') }} as date) as cohort_month,
        stages.stage,
        stages.stage_order,
        case stages.stage_order
            when 1 then opportunities.reached_prospecting
            when 2 then opportunities.reached_qualification
            when 3 then opportunities.reached_discovery
            when 4 then opportunities.reached_proposal
            when 5 then opportunities.reached_negotiation
        end as reached_stage,
        case stages.stage_order
            when 1 then opportunities.reached_qualification
            when 2 then opportunities.reached_discovery
            when 3 then opportunities.reached_proposal
            when 4 then opportunities.reached_negotiation
            when 5 then opportunities.is_won
        end as reached_next_stage
    from opportunities
    cross join stages
),

aggregated as (
    select
        cohort_month,
        stage,
        stage_order,
        sum(case when reached_stage then 1 else 0 end) as reached_deals,
        sum(case when reached_stage and reached_next_stage then 1 else 0 end) as advanced_deals
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
