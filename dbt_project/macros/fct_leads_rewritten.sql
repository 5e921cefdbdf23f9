{#- The leads fct_leads rewrites when it catches up from the night `since` (its last build): those
    int_leads_converted rewrote since, those with an activity written or dated into the nights since,
    and those whose first activity was rewritten since (it may have moved to another lead or day). -#}
{% macro fct_leads_rewritten(since) -%}
    select rewritten.lead_id from {{ ref('int_leads_converted') }} as rewritten
    where rewritten.loaded_through > {{ since }}
    union
    select active.lead_id from {{ ref('fct_activities') }} as active
    where active.lead_id is not null and (active.batch_date > {{ since }} or active.activity_date > {{ since }})
    union
    select built.lead_id from {{ this }} as built
    where built.first_activity_id in (
        select moved.activity_id from {{ ref('fct_activities') }} as moved
        where moved.batch_date > {{ since }} or moved.activity_date > {{ since }}
    )
{%- endmacro %}
