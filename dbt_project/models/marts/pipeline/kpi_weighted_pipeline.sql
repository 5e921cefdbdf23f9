-- Weighted open pipeline per snapshot date, close period and dimension value: the amount in USD
-- weighted by the CRM probability / 100 and by the stage's historical win rate (trailing four
-- quarters). A deal counts in the period of its expected close date: a past or missing close date
-- puts it in the snapshot date's own period, and it is counted among the overdue deals. Incremental
-- like fct_pipeline_daily: the night's snapshot is replaced, published nights are carried over.
-- Indexed on snapshot_date: the table gains a snapshot a night, and delete+insert, the catch-up from
-- the published copy, the night's tests and the quality gate each read one snapshot.
{{
    config(
        materialized='incremental',
        unique_key='snapshot_date',
        incremental_engine={'strategy': 'by_slice'},
        indexes=[{'columns': ['snapshot_date']}],
    )
}}

with

pipeline as (
    select * from {{ ref('fct_pipeline_daily') }}
    where snapshot_date = {{ night() }}
),

by_period as (
    {{ by_period('pipeline', 'expected_close_date') }}
),

aggregated as (
    select
        snapshot_date,
        period_type,
        period_start,
        {{ dimension_of_grouping() }} as dimension,
        {{ dimension_value_of_grouping() }} as dimension_value,
        count(*) as open_deals,
        coalesce(sum(amount_usd), 0) as pipeline_usd,
        coalesce(sum(weighted_crm_usd), 0) as weighted_crm_usd,
        coalesce(sum(weighted_historical_usd), 0) as weighted_historical_usd,
        count(*) filter (where is_overdue) as overdue_deals,
        coalesce(sum(amount_usd) filter (where is_overdue), 0) as overdue_usd
    from by_period
    group by {{ dimension_grouping_sets(['snapshot_date', 'period_type', 'period_start']) }}
),

final as (
    select
        cast(snapshot_date as date) as snapshot_date,
        cast(period_type as text) as close_period_type,
        cast(period_start as date) as close_period_start,
        cast(dimension as text) as dimension,
        cast(dimension_value as text) as dimension_value,
        cast(open_deals as integer) as open_deals,
        cast(pipeline_usd as numeric(18, 2)) as pipeline_usd,
        cast(weighted_crm_usd as numeric(18, 2)) as weighted_crm_usd,
        cast(weighted_historical_usd as numeric(18, 2)) as weighted_historical_usd,
        cast(overdue_deals as integer) as overdue_deals,
        cast(overdue_usd as numeric(18, 2)) as overdue_usd
    from aggregated
)

select * from final
{{ published_rows_since('snapshot_date') }}
