{#- KPI tables of additive measures (counts, sums) kept by deltas: a night adds what its changed fact rows add
    and subtracts what their before-images had added, so its cost follows the change. Periods recomputed
    whole (macros/incremental/periods_to_rebuild.sql) cost as much as a whole rebuild here: the two nights
    a mart catches up close old deals in every quarter.

    The fact rows since the KPI's last build are the rows the fact wrote in its last build (each +1) and
    the before-images it kept of the rows it rewrote or removed (`intermediate.<fact>__replaced`, each -1,
    as they stood on the night the KPI was built); a row written again unchanged cancels out. Everything
    is rebuilt instead, as in periods_to_rebuild, unless the KPI was built with the fact's previous build
    and the fact caught up tonight.

    Engine step before the select (by_deltas) `prepare_deltas(fact)`: works out whether to rebuild
    everything (into a temporary table), and if so empties the KPI table. The model reads
    `signed_fact_rows(fact)` (the fact's columns, `sign`, and `as_of`: the night the row counts as of),
    sums `sign` and `sign * measure` per key, keeps the keys whose sums moved, adds the rows the table
    holds for them (`held_plus_deltas`), and writes them by key (delete+insert). The step after the select
    removes the keys left with nothing counted (`drop_empty_keys(count_column)`, on `kept_while`), which a
    whole rebuild would not have. -#}
{% macro prepare_deltas(fact) -%}
    {%- if is_incremental() -%}
        {%- set replaced = replaced_rows_relation(fact) -%}
        drop table if exists {{ deltas_table() }};
        create temporary table {{ deltas_table() }} as
        select
            built.night as built_night,
            {{ rebuilds_whole(replaced, relation_exists_now(replaced), 'built.night') }} as everything
        from (
            select coalesce(max(loaded_through), cast('1900-01-01' as date)) as night from {{ this }}
        ) as built;
        delete from {{ this }} where (select everything from {{ deltas_table() }});
    {%- endif -%}
{%- endmacro %}

{#- The fact rows a KPI kept by deltas adds up tonight, with `sign` and `as_of` (see prepare_deltas). -#}
{% macro signed_fact_rows(fact) -%}
    {#- `execute`: the columns are read from the warehouse, so parsing (and the linter) take the other branch -#}
    {%- if execute and is_incremental() -%}
        {%- set replaced = replaced_rows_relation(fact) -%}
        {%- set columns = adapter.get_columns_in_relation(fact) | map(attribute='name') | list -%}
        {#- two branches, not `everything or loaded_through > built_night`: Postgres cannot search the
            fact's index on loaded_through for an `or`, and scans every deal for the few written since.
            The night it was built is a literal for the same reason (last_built_night). #}
        select {{ columns | join(', ') }}, 1 as sign, {{ night() }} as as_of
        from {{ fact }}
        where (select everything from {{ deltas_table() }})
        union all
        select {{ columns | join(', ') }}, 1 as sign, {{ night() }} as as_of
        from {{ fact }}
        where
            loaded_through > {{ last_built_night(before_tonight=false) }}
            and not (select everything from {{ deltas_table() }})
        {%- if relation_exists_now(replaced) %}
        union all
        select {{ columns | join(', ') }}, -1 as sign, from_night as as_of
        from {{ replaced }}
        where replaced_key is not null and not (select everything from {{ deltas_table() }})
        {%- endif %}
    {%- else -%}
        select *, 1 as sign, {{ night() }} as as_of from {{ fact }}
    {%- endif -%}
{%- endmacro %}

{#- The rows a KPI kept by deltas writes tonight, one per key: the `deltas` (a relation of `keys` and
    `measures`) whose sums moved, plus the row the table holds for each of those keys, summed. A row
    written again unchanged adds and subtracts the same: its keys are not rewritten. -#}
{% macro held_plus_deltas(deltas, measures, keys=['period_type', 'period_start', 'dimension', 'dimension_value']) -%}
    {%- set columns = (keys + measures) | join(', ') -%}
    {%- set moved -%}
        ({% for measure in measures %}{{ deltas }}.{{ measure }} <> 0{{ ' or ' if not loop.last }}{% endfor %})
    {%- endset -%}
    select
        {{ keys | join(', ') }},
        {%- for measure in measures %}
        sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select {{ columns }} from {{ deltas }}
        where {{ moved }}
        {%- if is_incremental() %}
        union all
        select {{ columns }} from {{ this }}
        where ({{ keys | join(', ') }}) in (select {{ keys | join(', ') }} from {{ deltas }} where {{ moved }})
        {%- endif %}
    ) as parts
    group by {{ keys | join(', ') }}
{%- endmacro %}

{% macro drop_empty_keys(count_column) -%}
    delete from {{ this }} where {{ count_column }} = 0
{%- endmacro %}

{% macro deltas_table() -%}
    pg_temp.{{ this.identifier }}__deltas
{%- endmacro %}
