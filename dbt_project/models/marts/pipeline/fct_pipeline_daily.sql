-- The open pipeline on each snapshot date: one row per snapshot date and opportunity open that day
-- (not closed and not deleted in the latest extract on or before it), in USD at that day's rate,
-- weighted by the CRM probability (the stage's default where missing) and by the stage's historical
-- win rate. A deal whose close date is past or missing is expected on the snapshot date itself and
-- flagged overdue (SPEC: weighted pipeline; the forecast's rule). Incremental: a night
-- replaces its own snapshot (delete+insert by snapshot_date) and carries over the nights published
-- since this copy was built, so a rerun never duplicates and history is never recomputed.
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

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
    where not is_closed
),

stage_win_rates as (
    select * from {{ ref('kpi_stage_win_rates') }}
),

weighted as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.employee_id,
        opportunities.segment,
        opportunities.region,
        opportunities.opportunity_type,
        opportunities.stage,
        opportunities.forecast_category,
        opportunities.amount_usd,
        {{ crm_probability('opportunities.probability', 'opportunities.stage') }} as probability,
        opportunities.close_date,
        coalesce(segment_rates.win_rate, company_rates.win_rate) as historical_win_rate
    from opportunities
    left join stage_win_rates as segment_rates
        on opportunities.segment = segment_rates.segment and opportunities.stage = segment_rates.stage
    left join stage_win_rates as company_rates
        on company_rates.segment = 'all' and opportunities.stage = company_rates.stage
),

final as (
    select
        cast({{ night() }} as date) as snapshot_date,
        cast(opportunity_id as text) as opportunity_id,
        cast(account_id as text) as account_id,
        cast(employee_id as text) as employee_id,
        cast(segment as text) as segment,
        cast(region as text) as region,
        cast(opportunity_type as text) as opportunity_type,
        cast(stage as text) as stage,
        cast(forecast_category as text) as forecast_category,
        cast(close_date as date) as close_date,
        cast(close_date < {{ night() }} as boolean) as is_past_close_date,
        cast(greatest(close_date, {{ night() }}) as date) as expected_close_date,
        cast(close_date is null or close_date < {{ night() }} as boolean) as is_overdue,
        cast(round(amount_usd, 2) as numeric(18, 2)) as amount_usd,
        cast(probability as numeric(5, 2)) as probability,
        cast(round(historical_win_rate, 6) as numeric(8, 6)) as historical_win_rate,
        cast(round(amount_usd * probability / 100, 2) as numeric(18, 2)) as weighted_crm_usd,
        cast(round(amount_usd * historical_win_rate, 2) as numeric(18, 2)) as weighted_historical_usd
    from weighted
)

select * from final
{{ published_rows_since('snapshot_date') }}
