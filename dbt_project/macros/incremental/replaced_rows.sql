{#- Before-images of an incremental fact, so the KPI tables built on it can recompute only the periods a
    night touches (macros/incremental/periods_to_rebuild.sql).

    A fact kept by key (delete+insert) loses the old version of each row it rewrites; a KPI by period
    must recompute the period the row was in as well as the one it is in now (a deal whose close date
    moved, or that was deleted), and need not recompute any for a row written again unchanged. Engine step
    of the fact, after empty_unless_moving_forward and before its keys are removed: replaces
    `intermediate.<fact>__replaced` with the whole rows this build will rewrite or remove
    (`rewritten_keys`, `removed_keys`: queries of keys), and the nights it catches up between: from its
    last build (`from_night`, 1900-01-01 when it was emptied) to tonight. A KPI uses them only when it
    was built with the fact's last build (same night), else rebuilds whole. Kept in `intermediate`,
    outside the published schema: bookkeeping, not for BI. `night_column`: the column holding the night
    each row was written (fct_activities has its batch's night, batch_date). `replaced_key_column`: the
    row's own key, where the fact rewrites rows by a coarser one (fct_opportunity_stage_changes rewrites
    a deal's stage entries, each keyed by its history_id), so a KPI pairs each row with its old version. -#}
{% macro record_replaced_rows(key_column, rewritten_keys, removed_keys, night_column='loaded_through',
                              replaced_key_column=none) -%}
    {%- if is_incremental() -%}
        {%- set replaced = replaced_rows_relation(this) -%}
        {%- set from_night = last_built_night(night_column=night_column) -%}
        drop table if exists {{ replaced }};
        create table {{ replaced }} as
        select
            {{ from_night }} as from_night,
            {{ night() }} as to_night,
            built.{{ replaced_key_column or key_column }} as replaced_key,
            built.*
        from {{ this }} as built
        -- one list, not two `in`s joined by `or`: Postgres then looks the keys up in the key index
        -- instead of scanning the whole table
        where built.{{ key_column }} in ({{ rewritten_keys }} union {{ removed_keys }})
        union all
        -- the nights, also when nothing is replaced
        select {{ from_night }}, {{ night() }}, null, nothing.*
        from (select) as one
        left join {{ this }} as nothing on false;
        create index on {{ replaced }} (replaced_key);
        -- the row count and the key are what the KPIs' plans need: sampling every column of the wide
        -- fact rows would cost time for nothing
        analyze {{ replaced }} (replaced_key);
    {%- endif -%}
{%- endmacro %}

{#- Whether `relation` exists, asked of the warehouse now. dbt's cache of relations is taken when the
    run starts, so it misses a table a hook created earlier in the same run: the before-images of a fact
    built incrementally for the first time (the first incremental night after a full build) were taken
    for missing, and the KPIs on it rebuilt whole. -#}
{% macro relation_exists_now(relation) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query("select to_regclass('" ~ relation.include(database=false) ~ "') is not null") -%}
    {{ return(found.columns[0].values()[0]) }}
{%- endmacro %}

{#- Whether a KPI on a fact, last built on `built_night` (SQL), must rebuild whole: unless it was built
    with the fact's previous build and the fact caught up tonight (its before-images run from that night
    to tonight). A rerun, an older night, a fact emptied and rebuilt, a KPI that missed a night, or no
    before-images at all (`replaced_exists`): whole. Shared by periods_to_rebuild and kept_by_deltas. -#}
{% macro rebuilds_whole(replaced, replaced_exists, built_night) -%}
    {%- if replaced_exists -%}
        not exists (
            select from {{ replaced }} as replaced_rows
            where replaced_rows.from_night = {{ built_night }} and replaced_rows.to_night = {{ night() }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro replaced_rows_relation(fact) -%}
    {{ return(api.Relation.create(database=fact.database, schema='intermediate',
                                  identifier=fact.identifier ~ '__replaced')) }}
{%- endmacro %}

{#- This incremental table's last build (`loaded_through`): the night it catches up from; 1900-01-01
    when it is empty, so an emptied table is rebuilt whole. Read once when the model runs and written
    into its SQL as a literal: given a subquery, Postgres guesses a third of each table changed and
    plans scans and hash joins of whole tables. The model's SQL is
    compiled before the engine's steps run, so a night that does not move forward (empty_unless_moving_forward
    empties the table) reads as 1900-01-01 here too. A model without that step passes
    `before_tonight=false`: a retried build of tonight then catches up from tonight (nothing to do). -#}
{% macro last_built_night(before_tonight=true, night_column='loaded_through') -%}
    {%- if execute and is_incremental() -%}
        {%- set built = run_query(
            "select cast(max(" ~ night_column ~ ") as text) from " ~ this
            ~ (" having max(" ~ night_column ~ ") < " ~ night() if before_tonight else "")) -%}
        {%- set value = built.columns[0].values()[0] if built.rows | length else none -%}
        cast('{{ value or "1900-01-01" }}' as date)
    {%- else -%}
        (select coalesce(max(last_build.{{ night_column }}), cast('1900-01-01' as date)) from {{ this }} as last_build)
    {%- endif -%}
{%- endmacro %}
