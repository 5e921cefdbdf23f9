{#- The loader accepts true/false, t/f, 1/0, yes/no, y/n; empty is null. -#}
{% macro to_boolean(column) -%}
    case
        when lower(trim({{ column }})) in ('true', 't', '1', 'yes', 'y') then true
        when lower(trim({{ column }})) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}
