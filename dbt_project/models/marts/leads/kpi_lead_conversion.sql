-- Lead conversion per lead-creation month and source (and 'all'): leads converted to an opportunity
-- and leads whose opportunity closed won, over the leads created. A lead converted in a later month
-- counts in the month it was created.
-- Kept by deltas: a night adds the leads fct_leads rewrote and subtracts their earlier versions, per
-- month and source, and keeps the other rows (macros/incremental/kept_by_deltas.sql): a whole rebuild read every
-- lead each night.
{{
    config(
        materialized='incremental',
        unique_key=['cohort_month', 'source'],
        incremental_engine={'strategy': 'by_deltas', 'fact': 'fct_leads', 'kept_while': 'leads'},
    )
}}

with

leads as (
    select * from ({{ signed_fact_rows(ref('fct_leads')) }}) as signed_rows
),

deltas as (
    -- per source and for 'all' in one pass (GROUPING SETS, see macros/utils/by_dimension.sql); a lead with
    -- no source counts in 'all' only
    select
        cohort_month,
        case when grouping(lead_source) = 1 then 'all' else lead_source end as source,
        sum(sign) as leads,
        sum(case when is_converted then sign else 0 end) as converted_leads,
        sum(case when is_converted and is_won then sign else 0 end) as won_leads
    from leads
    group by grouping sets ((cohort_month, lead_source), (cohort_month))
    having grouping(lead_source) = 1 or lead_source <> 'all'
),

summed as (
    {{ held_plus_deltas('deltas', ['leads', 'converted_leads', 'won_leads'], keys=['cohort_month', 'source']) }}
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        cast(source as text) as source,
        cast(leads as integer) as leads,
        cast(converted_leads as integer) as converted_leads,
        cast(round({{ safe_divide('converted_leads', 'leads') }}, 6) as numeric(8, 6)) as lead_to_opportunity_rate,
        cast(won_leads as integer) as won_leads,
        cast(round({{ safe_divide('won_leads', 'leads') }}, 6) as numeric(8, 6)) as lead_to_sale_rate,
        cast({{ night() }} as date) as loaded_through
    from summed
)

select * from final
