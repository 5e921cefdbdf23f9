{#- Before-images of an incremental fact, so the KPI tables built on it can recompute only the periods a
    night touches (macros/periods_to_rebuild.sql).

    A fact kept by key (delete+insert) loses the old version of each row it rewrites; a KPI by period
    must recompute the period the row was in as well as the one it is in now (a deal whose close date
    moved, or that was deleted). Pre-hook of the fact, after empty_unless_moving_forward and before its
    keys are removed: replaces `intermediate.<fact>__replaced` with `columns` of the rows this build will
    rewrite or remove (`rewritten_keys`, `removed_keys`: queries of keys), and the nights it
    catches up between: from its last build (`from_night`, 1900-01-01 when it was emptied) to tonight. A KPI
    uses them only when it was built with the fact's last build (same night), else rebuilds whole. Kept
    in `intermediate`, outside the published schema: bookkeeping, not for BI. -#}
{% macro record_replaced_rows(key_column, columns, rewritten_keys, removed_keys) -%}
    {%- if is_incremental() -%}
        {%- set replaced = replaced_rows_relation(this) -%}
        drop table if exists {{ replaced }};
        create table {{ replaced }} as
        select
            {{ last_built_night() }} as from_night,
            {{ night() }} as to_night,
            built.{{ key_column }} as replaced_key,
            {% for column in columns %}built.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ this }} as built
        where built.{{ key_column }} in ({{ rewritten_keys }}) or built.{{ key_column }} in ({{ removed_keys }})
        union all
        -- the nights, also when nothing is replaced
        select {{ last_built_night() }}, {{ night() }}, null{% for column in columns %}, null{% endfor %};
    {%- endif -%}
{%- endmacro %}

{% macro replaced_rows_relation(fact) -%}
    {{ return(api.Relation.create(database=fact.database, schema='intermediate',
                                  identifier=fact.identifier ~ '__replaced')) }}
{%- endmacro %}

{#- This incremental table's last build (`loaded_through`): the night it catches up from; 1900-01-01
    when it is empty, so an emptied table is rebuilt whole. -#}
{% macro last_built_night() -%}
    (select coalesce(max(last_build.loaded_through), cast('1900-01-01' as date)) from {{ this }} as last_build)
{%- endmacro %}
