-- Historical win rate of each open stage as of the night: of the deals closed in the trailing four
-- complete calendar quarters that reached the stage, the share won (weights the pipeline and the
-- historical_stage_rate forecast). Per segment where the segment
-- closed at least `min_closed_deals_for_segment_rate` such deals, else the company-wide rate.
with

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where
        is_closed
        and closed_date >= {{ dbt.dateadd('month', -12, dbt.date_trunc('quarter', night())) }}
        and closed_date < {{ dbt.date_trunc('quarter', night()) }}
),

stages as (
    select * from {{ open_stages() }} as open_stages
),

counted as (
    -- counted per segment, outcome and stages reached before fanning out to the stages (fanning out
    -- every deal first multiplied the rows to aggregate)
    select
        segment,
        is_won,
        reached_prospecting,
        reached_qualification,
        reached_discovery,
        reached_proposal,
        reached_negotiation,
        count(*) as deals
    from opportunities
    group by
        segment, is_won, reached_prospecting, reached_qualification, reached_discovery, reached_proposal,
        reached_negotiation
),

reached as (
    select
        counted.segment,
        stages.stage,
        counted.is_won,
        counted.deals
    from counted
    inner join stages
        on
            case stages.stage
                when 'prospecting' then counted.reached_prospecting
                when 'qualification' then counted.reached_qualification
                when 'discovery' then counted.reached_discovery
                when 'proposal' then counted.reached_proposal
                when 'negotiation' then counted.reached_negotiation
            end
),

company as (
    select
        stage,
        sum(deals) as closed_deals,
        sum(case when is_won then deals else 0 end) as won_deals
    from reached
    group by stage
),

segments as (
    select
        segment,
        stage,
        sum(deals) as closed_deals,
        sum(case when is_won then deals else 0 end) as won_deals
    from reached
    where segment is not null
    group by segment, stage
),

segment_rates as (
    select
        segments.segment,
        segments.stage,
        case
            when segments.closed_deals >= {{ var('min_closed_deals_for_segment_rate') }}
                then {{ safe_divide('segments.won_deals', 'segments.closed_deals') }}
            else {{ safe_divide('company.won_deals', 'company.closed_deals') }}
        end as win_rate,
        segments.closed_deals >= {{ var('min_closed_deals_for_segment_rate') }} as is_segment_rate
    from segments
    inner join company
        on segments.stage = company.stage
),

company_rates as (
    select
        'all' as segment,
        stage,
        {{ safe_divide('won_deals', 'closed_deals') }} as win_rate,
        false as is_segment_rate
    from company
),

rates as (
    select * from segment_rates
    union all
    select * from company_rates
),

final as (
    select
        cast({{ night() }} as date) as snapshot_date,
        cast(rates.segment as text) as segment,
        cast(rates.stage as text) as stage,
        cast(stages.stage_order as integer) as stage_order,
        cast(round(rates.win_rate, 6) as numeric(8, 6)) as win_rate,
        cast(rates.is_segment_rate as boolean) as is_segment_rate
    from rates
    inner join stages
        on rates.stage = stages.stage
)

select * from final
