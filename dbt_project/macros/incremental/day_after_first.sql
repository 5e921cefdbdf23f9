{#- The day after the earliest `date_column` of a relation (9999-12-31 when it is empty), read when the
    model runs and written into its SQL as a literal: Postgres plans a literal from its statistics, where
    a subquery's value is a guess (int_forecast_pipeline_methods' versions: far more guessed than found). -#}
{% macro day_after_first(relation, date_column) -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select cast(coalesce(min(" ~ date_column ~ "), date '9999-12-30') + 1 as text) from " ~ relation) -%}
        cast('{{ found.columns[0].values()[0] }}' as date)
    {%- else -%}
        cast('9999-12-31' as date)
    {%- endif -%}
{%- endmacro %}
