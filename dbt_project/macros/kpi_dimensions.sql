{#- The dimensions KPI tables are cut by (SPEC section 4), as a relation to cross join. -#}
{% macro kpi_dimensions(dimensions=['all', 'segment', 'type', 'region', 'rep']) -%}
    (
        {%- for dimension in dimensions %}
        select '{{ dimension }}' as dimension
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
{%- endmacro %}
