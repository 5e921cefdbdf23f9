{#- Whole calendar days from one date or timestamp to another (SPEC: later date minus earlier date). -#}
{% macro day_count(start_column, end_column) -%}
    {{ dbt.datediff('cast(' ~ start_column ~ ' as date)', 'cast(' ~ end_column ~ ' as date)', 'day') }}
{%- endmacro %}
