{#- The value of a row for the dimension named in the `dimension` column; 'unknown' when missing,
    so every dimension's values add up to the 'all' row. Only the listed dimensions are mapped. -#}
{% macro dimension_value(dimensions=['all', 'segment', 'type', 'region', 'rep'], segment='segment',
                         opportunity_type='opportunity_type', region='region', employee_id='employee_id') -%}
    {%- set columns = {'segment': segment, 'type': opportunity_type, 'region': region, 'rep': employee_id} -%}
    case dimension
        {%- for dimension in dimensions %}
        when '{{ dimension }}' then {{ "'all'" if dimension == 'all' else 'coalesce(' ~ columns[dimension] ~ ", 'unknown')" }}
        {%- endfor %}
    end
{%- endmacro %}
