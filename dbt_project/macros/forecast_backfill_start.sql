{#- The first day a build forecasts as of (int_forecast_as_of_dates), as SQL: `forecast_backfill_from` when set;
    on a warehouse's first night (no forecast history in the build schema, or a full refresh) the start of the
    quarter `accuracy_backfill_quarters` before the night's, so forecast accuracy is there from day one
    (SPEC: forecast accuracy); else the night itself. -#}
{% macro forecast_backfill_start() -%}
    {%- if var('forecast_backfill_from') -%}
        cast('{{ var("forecast_backfill_from") }}' as date)
    {%- else -%}
        {%- set history = adapter.get_relation(database=target.database, schema=var('build_schema'),
                                               identifier='fct_forecast_snapshots') if execute else none -%}
        {%- if execute and (history is none or flags.FULL_REFRESH) -%}
            cast({{ dbt.dateadd('month', -3 * var('accuracy_backfill_quarters'), dbt.date_trunc('quarter', night())) }}
                 as date)
        {%- else -%}
            {{ night() }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
