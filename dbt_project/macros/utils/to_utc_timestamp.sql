{#- ISO-8601 text (Z or offset) to a UTC timestamp without time zone. -#}
{% macro to_utc_timestamp(column) -%}
    (cast(nullif(trim({{ column }}), '') as timestamptz) at time zone 'UTC')
{%- endmacro %}
