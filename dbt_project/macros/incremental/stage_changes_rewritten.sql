{#- The deals fct_opportunity_stage_changes rewrites when it catches up from the night `since`: those the
    history table rewrote since (a superset of those with a newer batch; all of them once it was rebuilt
    whole), found by its index on loaded_through. The model selects them, and the engine keeps their
    before-images (macros/incremental/replaced_rows.sql). -#}
{% macro stage_changes_rewritten(since=none) -%}
    {%- set since = since if since is not none else last_built_night() -%}
    select touched.opportunity_id from {{ ref('int_opportunity_history_versions') }} as touched
    where touched.loaded_through > {{ since }}
{%- endmacro %}
