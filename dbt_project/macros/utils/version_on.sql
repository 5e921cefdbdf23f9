{#- Join condition: the employee version (int_employee_versions) in force on `day`; before the first
    version, the first one stands in (history starts with the oldest HR batch kept). -#}
{% macro version_on(versions, day) -%}
    ({{ versions }}.valid_from <= {{ day }} or {{ versions }}.is_first_version)
    and ({{ versions }}.valid_to is null or {{ day }} < {{ versions }}.valid_to)
{%- endmacro %}
