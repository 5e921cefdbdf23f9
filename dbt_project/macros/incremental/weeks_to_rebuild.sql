{#- kpi_activity kept incrementally by week: a night recomputes only the weeks its changes touch and
    keeps the others (SPEC: every week still equals a full rebuild).

    The touched weeks are those of the activities the fact rewrote since the KPI's last build (their new
    versions: `batch_column` after it; their old ones: the fact's before-images, macros/incremental/replaced_rows.sql)
    and of the activities dated into the nights since (an activity logged ahead counts from its day on).
    Everything is recomputed instead unless the KPI was built before tonight and the before-images run
    to tonight from no later than the KPI's build. They start at the fact's newest batch, which a night
    delivering no activities leaves older than the KPI's build: nothing was rewritten in between. A
    rerun, an older night, a fact rebuilt without its KPI, a KPI that missed a night the fact caught up:
    all rebuild whole.

    The fact, its week, date and batch columns are the model's engine options (strategy by_period,
    period 'week'). Returns the weeks as ISO dates, or none for everything. Asked when the model compiles and again by
    the engine's step, both before that step deletes the weeks: the same answer. An incremental night
    touches few weeks, a small part of a table otherwise rebuilt whole. -#}
{% macro weeks_to_rebuild() -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set engine = incremental_engine_config() -%}
    {%- set fact, week_column = ref(engine.fact), engine.week_column -%}
    {%- set date_column, batch_column = engine.date_column, engine.batch_column -%}
    {%- set replaced = replaced_rows_relation(fact) -%}
    {%- if not relation_exists_now(replaced) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set built = run_query(
        "select cast(max(loaded_through) as text) from " ~ this
        ~ " having max(loaded_through) < " ~ night()
        ~ " and exists (select from " ~ replaced ~ " as replaced_rows where replaced_rows.to_night = " ~ night()
        ~ " and replaced_rows.from_night > '1900-01-01' and replaced_rows.from_night <= max(loaded_through))") -%}
    {%- if not built.rows | length -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set since = "cast('" ~ built.columns[0].values()[0] ~ "' as date)" -%}
    {%- set touched -%}
        select cast(touched.week as text) from (
            select changed.{{ week_column }} as week from {{ fact }} as changed
            where changed.{{ batch_column }} > {{ since }}
            union
            select replaced_rows.{{ week_column }} from {{ replaced }} as replaced_rows
            where replaced_rows.replaced_key is not null
            union
            select dated.{{ week_column }} from {{ fact }} as dated
            where dated.{{ date_column }} > {{ since }} and dated.{{ date_column }} <= {{ night() }}
        ) as touched
        where touched.week is not null
        order by 1
    {%- endset -%}
    {{ return(run_query(touched).columns[0].values() | list) }}
{%- endmacro %}

{#- Step of the engine (by_period, period 'week'): delete the weeks to rebuild (every row when rebuilding whole). -#}
{% macro delete_weeks_to_rebuild(weeks, week_start_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        {%- if weeks is not none %} where {{ in_weeks(weeks, week_start_column) }}{% endif %}
    {%- endif -%}
{%- endmacro %}

{#- `week_column` in `weeks` (none: every week). `date_column`, a day in the week, indexed: bounded by
    the first week, so Postgres reads the index instead of the whole table. -#}
{% macro in_weeks(weeks, week_column, date_column=none) -%}
    {%- if weeks is none -%}
        true
    {%- elif not weeks -%}
        false
    {%- else -%}
        ({{ week_column }} in ({{ quoted_list(weeks) }})
        {%- if date_column %} and {{ date_column }} >= cast('{{ weeks[0] }}' as date){% endif %})
    {%- endif -%}
{%- endmacro %}
