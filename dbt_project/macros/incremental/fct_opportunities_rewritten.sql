{#- The deals fct_opportunities rewrites when it catches up from the night `since` (its last build): those
    int_opportunities_enriched rewrote since, and those with stage changes since. The model selects
    them, and the engine keeps their before-images (macros/incremental/replaced_rows.sql). -#}
{% macro fct_opportunities_rewritten(since=none) -%}
    {%- set since = since if since is not none else last_built_night() -%}
    select rewritten.opportunity_id from {{ ref('int_opportunities_enriched') }} as rewritten
    where rewritten.loaded_through > {{ since }}
    union
    select restaged.opportunity_id from {{ ref('fct_opportunity_stage_changes') }} as restaged
    where restaged.loaded_through > {{ since }}
{%- endmacro %}
