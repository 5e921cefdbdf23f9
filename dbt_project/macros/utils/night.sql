{#- The logical date of the night being built.

    The pipeline passes it in the environment (SALESOPS_NIGHT), read only when a node runs: dbt re-parses
    the whole project, a slow step, whenever a --vars value changes, but not for an
    environment variable that parsing never reads. `--vars '{night: YYYY-MM-DD}'` still works (a manual
    run, the unit tests' overrides) and wins. -#}
{% macro night_value() -%}
    {%- set value = var('night') or (env_var('SALESOPS_NIGHT', '') if execute else none) -%}
    {%- if not value and execute -%}
        {{ exceptions.raise_compiler_error(
            "the night is not set: export SALESOPS_NIGHT=YYYY-MM-DD or pass --vars '{night: YYYY-MM-DD}'") }}
    {%- endif -%}
    {{- value or '1970-01-01' -}}
{%- endmacro %}

{#- The night as a SQL date. -#}
{% macro night() -%}
    cast('{{ night_value() }}' as date)
{%- endmacro %}

{#- The night as an untyped SQL literal: compares with a date column, or with the raw text `_batch_id`
    (a constant the planner can prune the raw partitions with). -#}
{% macro night_literal() -%}
    '{{ night_value() }}'
{%- endmacro %}
