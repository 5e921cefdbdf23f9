-- Lead generation per creation period (month and quarter) and source (and 'all'): leads created,
-- their conversion, and the whole days from lead creation to the first activity. Leads are counted
-- per source and days to first activity first (GROUPING SETS, a hash aggregate) and the median is
-- read from the counts (macros/utils/median_from_counts.sql) rather than sorting every lead.
-- Leads are counted per creation month first (months add up to quarters): crossing every lead with
-- the period types multiplied the rows to aggregate.
-- Incremental by period: a night recomputes the months and quarters its changed leads were created in
-- (a lead converted, won, or given a first activity), and keeps the rest (macros/incremental/periods_to_rebuild.sql).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        incremental_engine={
            'strategy': 'by_period', 'fact': 'fct_leads', 'key_column': 'lead_id', 'date_column': 'created_date',
        },
    )
}}
{#- the earliest quarter to rebuild, as a literal bound on fct_leads' index on the quarter (the date cast
    to a timestamp: the index's form, which date_trunc of a date, on the session's time zone, cannot be) -#}
{%- set first_quarter = first_quarter_to_rebuild() %}

with

leads as (
    select * from {{ ref('fct_leads') }}
    where {{ in_periods_to_rebuild('cast(created_date as timestamp)', first_quarter) }}
),

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as created_month,
        lead_source,
        is_converted,
        days_to_first_activity,
        count(*) as leads
    from leads
    group by created_month, lead_source, is_converted, days_to_first_activity
),

by_period as (
    select
        period_types.period_type,
        monthly.lead_source,
        monthly.is_converted,
        monthly.days_to_first_activity,
        monthly.leads,
        {{ period_start('period_types.period_type', 'monthly.created_month') }} as period_start
    from monthly
    cross join {{ period_types() }} as period_types
),

counted as (
    -- per source and for 'all' in one pass; a lead with no source counts in 'all' only
    select
        period_type,
        period_start,
        days_to_first_activity,
        case when grouping(lead_source) = 1 then 'all' else lead_source end as lead_source,
        sum(leads) as leads_created,
        sum(case when is_converted then leads else 0 end) as converted_leads
    from by_period
    group by
        grouping sets (
            (period_type, period_start, lead_source, days_to_first_activity),
            (period_type, period_start, days_to_first_activity)
        )
    having grouping(lead_source) = 1 or lead_source <> 'all'
),

measured as (
    select * from counted
    where days_to_first_activity is not null
),

medians as (
    {{ median_from_counts('measured', ['period_type', 'period_start', 'lead_source'],
                          'days_to_first_activity', 'leads_created') }}
),

aggregated as (
    select
        period_type,
        period_start,
        lead_source,
        sum(leads_created) as leads_created,
        sum(converted_leads) as converted_leads,
        sum(case when days_to_first_activity is not null then leads_created end) as leads_with_activity,
        sum(days_to_first_activity * leads_created)
        / nullif(sum(case when days_to_first_activity is not null then leads_created end), 0)
            as mean_days_to_first_activity
    from counted
    group by period_type, period_start, lead_source
),

final as (
    select
        cast(aggregated.period_type as text) as period_type,
        cast(aggregated.period_start as date) as period_start,
        cast(aggregated.lead_source as text) as source,
        cast(aggregated.leads_created as integer) as leads_created,
        cast(aggregated.converted_leads as integer) as converted_leads,
        cast(round({{ safe_divide('aggregated.converted_leads', 'aggregated.leads_created') }}, 6) as numeric(8, 6))
            as conversion_rate,
        cast(coalesce(aggregated.leads_with_activity, 0) as integer) as leads_with_activity,
        cast(round(aggregated.mean_days_to_first_activity, 2) as numeric(10, 2)) as mean_days_to_first_activity,
        cast(round(cast(medians.median_value as numeric), 2) as numeric(10, 2)) as median_days_to_first_activity,
        cast({{ night() }} as date) as loaded_through
    from aggregated
    left join medians using (period_type, period_start, lead_source)
    where {{ is_period_to_rebuild('aggregated.period_type', 'aggregated.period_start') }}
)

select * from final
