-- Lead generation per creation period (month and quarter) and source (and 'all'): leads created,
-- their conversion, and the whole days from lead creation to the first activity.
with

leads as (
    select * from {{ ref('fct_leads') }}
),

by_period as (
    select
        period_types.period_type,
        {{ period_start('period_types.period_type', 'leads.created_date') }} as period_start,
        leads.lead_source,
        leads.is_converted,
        leads.days_to_first_activity
    from leads
    cross join {{ period_types() }} as period_types
),

aggregated as (
    -- per source and for 'all' in one pass (GROUPING SETS, see macros/by_dimension.sql); a lead with
    -- no source counts in 'all' only
    select
        period_type,
        period_start,
        case when grouping(lead_source) = 1 then 'all' else lead_source end as lead_source,
        count(*) as leads_created,
        sum(case when is_converted then 1 else 0 end) as converted_leads,
        count(days_to_first_activity) as leads_with_activity,
        avg(days_to_first_activity) as mean_days_to_first_activity,
        percentile_cont(0.5) within group (order by days_to_first_activity) as median_days_to_first_activity
    from by_period
    group by grouping sets ((period_type, period_start, lead_source), (period_type, period_start))
    having grouping(lead_source) = 1 or lead_source <> 'all'
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(lead_source as text) as source,
        cast(leads_created as integer) as leads_created,
        cast(converted_leads as integer) as converted_leads,
        cast(round({{ safe_divide('converted_leads', 'leads_created') }}, 6) as numeric(8, 6)) as conversion_rate,
        cast(leads_with_activity as integer) as leads_with_activity,
        cast(round(mean_days_to_first_activity, 2) as numeric(10, 2)) as mean_days_to_first_activity,
        cast(round(cast(median_days_to_first_activity as numeric), 2) as numeric(10, 2))
            as median_days_to_first_activity
    from aggregated
)

select * from final
