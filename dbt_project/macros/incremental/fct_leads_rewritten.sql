{#- The leads fct_leads rewrites when it catches up from the night `since` (its last build): those
    int_leads_converted rewrote since, those with an activity delivered or dated into the nights since,
    and those whose first activity was delivered again since (it may have moved to another lead or day).
    Each branch reads an index (loaded_through, batch_date, activity_date). -#}
{% macro fct_leads_rewritten(since=none) -%}
    {%- set since = since if since is not none else last_built_night() -%}
    select rewritten.lead_id from {{ ref('int_leads_converted') }} as rewritten
    where rewritten.loaded_through > {{ since }}
    union
    select delivered.lead_id from {{ ref('fct_activities') }} as delivered
    where delivered.batch_date > {{ since }} and delivered.lead_id is not null
    union
    select dated.lead_id from {{ ref('fct_activities') }} as dated
    where dated.activity_date > {{ since }} and dated.lead_id is not null
    union
    select built.lead_id from {{ this }} as built
    where built.first_activity_id in (
        select moved.activity_id from {{ ref('fct_activities') }} as moved
        where moved.batch_date > {{ since }}
    )
{%- endmacro %}
