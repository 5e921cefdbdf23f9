{#- A list of strings as SQL literals for `in (...)`: quoted_list(var('sales_roles')). -#}
{% macro quoted_list(values) -%}
    {%- for value in values -%}'{{ value }}'{{ ", " if not loop.last }}{%- endfor -%}
{%- endmacro %}
