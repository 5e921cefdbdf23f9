{#- The first day a build forecasts as of (int_forecast_as_of_dates), as SQL: `forecast_backfill_from` when set;
    on a warehouse's first night (no forecast history, neither built nor published: the published history is
    carried over on every other build, a full refresh included) the start of the quarter
    `accuracy_backfill_quarters` before the night's, so forecast accuracy is there from day one (SPEC:
    forecast accuracy); else the night itself. -#}
{% macro forecast_backfill_start() -%}
    {%- if var('forecast_backfill_from') -%}
        cast('{{ var("forecast_backfill_from") }}' as date)
    {%- else -%}
        {%- set histories = [] -%}
        {%- for schema in ([var('build_schema'), var('published_schema')] if execute else []) -%}
            {%- if adapter.get_relation(database=target.database, schema=schema,
                                        identifier='fct_forecast_snapshots') is not none -%}
                {%- do histories.append(schema) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if execute and not histories -%}
            cast({{ dbt.dateadd('month', -3 * var('accuracy_backfill_quarters'), dbt.date_trunc('quarter', night())) }}
                 as date)
        {%- else -%}
            {{ night() }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
