{#- KPI tables by period kept incrementally: a night recomputes only the months and quarters its changes
    touch, and keeps the others (SPEC: every period still equals a full rebuild).

    The touched days are `date_column` of the fact's rows rewritten since the KPI's last build (their new
    values, `loaded_through`) and of their before-images (`intermediate.<fact>__replaced`, their old
    values; see macros/replaced_rows.sql); each touched day touches its month and its quarter.
    Everything is recomputed instead unless the KPI was built with the fact's previous build and the
    fact caught up tonight (a rerun, an older night, a fact emptied and rebuilt whole, a KPI that missed
    a night: all rebuild whole).

    Pre-hook `prepare_periods_to_rebuild(fact, date_column)`: works out the periods into a temporary
    table (hooks and the model's select share one session), and deletes them from the KPI table. The
    model then reads the fact rows of the touched quarters (`in_periods_to_rebuild`) and keeps its output
    rows of the touched periods (`is_period_to_rebuild`), appended (incremental_strategy 'append'). -#}
{% macro prepare_periods_to_rebuild(fact, date_column) -%}
    {%- if is_incremental() -%}
        {%- set replaced = replaced_rows_relation(fact) -%}
        {%- set replaced_exists = adapter.get_relation(database=replaced.database, schema=replaced.schema,
                                                       identifier=replaced.identifier) is not none -%}
        drop table if exists {{ periods_to_rebuild_table() }};
        create temporary table {{ periods_to_rebuild_table() }} as
        with
        built as (
            select coalesce(max(loaded_through), cast('1900-01-01' as date)) as night from {{ this }}
        ),
        everything as (
            -- unless this KPI was built with the fact's last build, and the fact caught up tonight
            select
                {%- if replaced_exists %}
                not exists (
                    select from {{ replaced }} as replaced_rows
                    where replaced_rows.from_night = built.night and replaced_rows.to_night = {{ night() }}
                ) as rebuild
                {%- else %}
                true as rebuild
                {%- endif %}
            from built
        ),
        touched_days as (
            select changed.{{ date_column }} as day
            from {{ fact }} as changed
            where changed.loaded_through > (select built.night from built)
            {%- if replaced_exists %}
            union
            select replaced_rows.{{ date_column }}
            from {{ replaced }} as replaced_rows
            {%- endif %}
        )
        select
            period_types.period_type,
            {{ period_start('period_types.period_type', 'touched_days.day') }} as period_start,
            false as everything
        from touched_days
        cross join {{ period_types() }} as period_types
        where touched_days.day is not null
        union all
        select null, null, everything.rebuild from everything;
        delete from {{ this }}
        where
            (select bool_or(everything) from {{ periods_to_rebuild_table() }})
            or (period_type, period_start) in (
                select period_type, period_start from {{ periods_to_rebuild_table() }}
            );
    {%- endif -%}
{%- endmacro %}

{#- The fact rows a KPI reads tonight: those in a quarter to rebuild (every one when rebuilding whole). -#}
{% macro in_periods_to_rebuild(date_column) -%}
    {%- if is_incremental() -%}
        (
            (select bool_or(rebuild.everything) from {{ periods_to_rebuild_table() }} as rebuild)
            or cast({{ dbt.date_trunc('quarter', date_column) }} as date) in (
                select rebuild.period_start from {{ periods_to_rebuild_table() }} as rebuild
                where rebuild.period_type = 'quarter'
            )
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The KPI rows a night writes: those of the periods to rebuild (every one when rebuilding whole). -#}
{% macro is_period_to_rebuild(period_type_column='period_type', period_start_column='period_start') -%}
    {%- if is_incremental() -%}
        (
            (select bool_or(rebuild.everything) from {{ periods_to_rebuild_table() }} as rebuild)
            or ({{ period_type_column }}, {{ period_start_column }}) in (
                select rebuild.period_type, rebuild.period_start from {{ periods_to_rebuild_table() }} as rebuild
            )
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro periods_to_rebuild_table() -%}
    pg_temp.{{ this.identifier }}__periods_to_rebuild
{%- endmacro %}
