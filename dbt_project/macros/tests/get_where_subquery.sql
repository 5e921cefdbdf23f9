{#- A test's `where` config may say `__night__` for the night being built (an untyped literal, see
    night_literal). dbt renders `where` when it parses the project, before the night is known; the
    placeholder is replaced when the test runs, so the night never enters the parse (see night.sql). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__night__', night_literal()) -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
