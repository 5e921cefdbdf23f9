-- Close rate: of the closed deals that reached proposal, the share won; per closed_at period and
-- dimension value.
with

closed_deals as (
    select * from {{ ref('fct_opportunities') }}
    where is_closed and reached_proposal and closed_date <= {{ night() }}
),

by_period as (
    {{ by_period('closed_deals', 'closed_date') }}
),

aggregated as (
    select
        period_type,
        period_start,
        {{ dimension_of_grouping() }} as dimension,
        {{ dimension_value_of_grouping() }} as dimension_value,
        count(*) as closed_from_proposal,
        sum(case when is_won then 1 else 0 end) as won_from_proposal
    from by_period
    group by {{ dimension_grouping_sets(['period_type', 'period_start']) }}
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(dimension as text) as dimension,
        cast(dimension_value as text) as dimension_value,
        cast(closed_from_proposal as integer) as closed_from_proposal,
        cast(won_from_proposal as integer) as won_from_proposal,
        cast(round({{ safe_divide('won_from_proposal', 'closed_from_proposal') }}, 6) as numeric(8, 6)) as close_rate
    from aggregated
)

select * from final
