{#- The months in a period of the given type (a column or literal holding 'month' or 'quarter'), as SQL. -#}
{% macro period_months(period_type) -%}
    (case {{ period_type }} when 'month' then 1 else 3 end)
{%- endmacro %}
