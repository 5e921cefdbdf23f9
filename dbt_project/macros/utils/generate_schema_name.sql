{#- Schemas by layer, without dbt's default "<target>_" prefix. Marts go to the private build schema
    (write-audit-publish) and restricted marts beside it; publish swaps both in. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name == 'marts' -%}
        {{ var('build_schema') }}
    {%- elif custom_schema_name == 'marts_restricted' -%}
        {{ var('build_schema') }}_restricted
    {%- elif custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
