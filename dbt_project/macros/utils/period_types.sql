{#- The two reporting period types, as a relation to cross join: every period-keyed KPI has rows for both. -#}
{% macro period_types() -%}
    (
        select 'month' as period_type
        union all
        select 'quarter' as period_type
    )
{%- endmacro %}
