{#- First day of the month or quarter (by the period_type column) that contains a date. -#}
{% macro period_start(period_type_column, date_column) -%}
    case {{ period_type_column }}
        when 'month' then cast({{ dbt.date_trunc('month', date_column) }} as date)
        when 'quarter' then cast({{ dbt.date_trunc('quarter', date_column) }} as date)
    end
{%- endmacro %}
