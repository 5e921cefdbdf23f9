-- Lead conversion per lead-creation month and source (and 'all'): leads converted to an opportunity
-- and leads whose opportunity closed won, over the leads created. A lead converted in a later month
-- counts in the month it was created.
with

leads as (
    select * from {{ ref('fct_leads') }}
),

aggregated as (
    -- per source and for 'all' in one pass (GROUPING SETS, see macros/by_dimension.sql); a lead with
    -- no source counts in 'all' only
    select
        cohort_month,
        case when grouping(lead_source) = 1 then 'all' else lead_source end as lead_source,
        count(*) as leads,
        sum(case when is_converted then 1 else 0 end) as converted_leads,
        sum(case when is_converted and is_won then 1 else 0 end) as won_leads
    from leads
    group by grouping sets ((cohort_month, lead_source), (cohort_month))
    having grouping(lead_source) = 1 or lead_source <> 'all'
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        cast(lead_source as text) as source,
        cast(leads as integer) as leads,
        cast(converted_leads as integer) as converted_leads,
        cast(round({{ safe_divide('converted_leads', 'leads') }}, 6) as numeric(8, 6)) as lead_to_opportunity_rate,
        cast(won_leads as integer) as won_leads,
        cast(round({{ safe_divide('won_leads', 'leads') }}, 6) as numeric(8, 6)) as lead_to_sale_rate
    from aggregated
)

select * from final
