-- Close rate: of the closed deals that reached proposal, the share won; per closed_at period and
-- dimension value.
-- Kept by deltas: a night adds the deals its changed rows close and subtracts what their earlier
-- versions had added, per period and dimension value, and keeps the other rows (macros/incremental/kept_by_deltas.sql).
{{
    config(
        materialized='incremental',
        unique_key=['period_type', 'period_start', 'dimension', 'dimension_value'],
        incremental_engine={'strategy': 'by_deltas', 'fact': 'fct_opportunities', 'kept_while': 'closed_from_proposal'},
    )
}}

with

closed_deals as (
    select * from ({{ signed_fact_rows(ref('fct_opportunities')) }}) as signed_rows
    where is_closed and reached_proposal and closed_date <= as_of
),

by_period as (
    {{ by_period('closed_deals', 'closed_date') }}
),

deltas as (
    select
        period_type,
        period_start,
        {{ dimension_of_grouping() }} as dimension,
        {{ dimension_value_of_grouping() }} as dimension_value,
        sum(sign) as closed_from_proposal,
        sum(case when is_won then sign else 0 end) as won_from_proposal
    from by_period
    group by {{ dimension_grouping_sets(['period_type', 'period_start']) }}
),

summed as (
    {{ held_plus_deltas('deltas', ['closed_from_proposal', 'won_from_proposal']) }}
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(dimension as text) as dimension,
        cast(dimension_value as text) as dimension_value,
        cast(closed_from_proposal as integer) as closed_from_proposal,
        cast(won_from_proposal as integer) as won_from_proposal,
        cast(round({{ safe_divide('won_from_proposal', 'closed_from_proposal') }}, 6) as numeric(8, 6)) as close_rate,
        cast({{ night() }} as date) as loaded_through
    from summed
)

select * from final
