{#- The logical date of the night being built, as a SQL date literal. -#}
{% macro night() -%}
    {%- set value = var('night') -%}
    {%- if value is none and execute -%}
        {{ exceptions.raise_compiler_error("the night is not set: pass --vars '{night: YYYY-MM-DD}'") }}
    {%- endif -%}
    cast('{{ value or "1970-01-01" }}' as date)
{%- endmacro %}
