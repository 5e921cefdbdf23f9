{#- Step of the engine (by_key, `prepare_keys`) for a model kept by key whose keys to rewrite cost a query
    worth running once: works them out into a temporary table (hooks and the model's select share one
    session), analysed so Postgres plans the select's joins for their real number. fct_contracts' select
    reads it; fct_leads' select and before-images (record_replaced_rows) both do, so its search of the
    leads for the first activities delivered again runs once, not twice. -#}
{% macro prepare_keys_to_rewrite(keys_query) -%}
    {%- if is_incremental() -%}
        drop table if exists {{ keys_to_rewrite_table() }};
        create temporary table {{ keys_to_rewrite_table() }} as {{ keys_query }};
        analyze {{ keys_to_rewrite_table() }};
    {%- endif -%}
{%- endmacro %}

{#- The keys prepare_keys_to_rewrite worked out, as a query. -#}
{% macro keys_to_rewrite(key_column) -%}
    select rewritten_keys.{{ key_column }} from {{ keys_to_rewrite_table() }} as rewritten_keys
{%- endmacro %}

{% macro keys_to_rewrite_table() -%}
    pg_temp.{{ this.identifier }}__keys_to_rewrite
{%- endmacro %}

{#- Step of the engine (by_key, `follows`) for a table kept by key that follows a parent kept by key
    (`loaded_through`): delete the keys the parent rewrote since this table's last build and those gone
    from staging since, so the model's select writes back only those still in it (a won deal reopened,
    lost or deleted leaves). -#}
{% macro remove_keys_rewritten_since(parent, key_column, staging_relation) -%}
    {%- if is_incremental() -%}
        {%- set since = last_built_night() -%}
        delete from {{ this }}
        -- as an array, the keys are looked up in this table's key index whatever Postgres guesses of
        -- their number, not found by a hash join over the whole table
        where {{ key_column }} = any(array(
            select rewritten.{{ key_column }} from {{ parent }} as rewritten
            where rewritten.loaded_through > {{ since }}
            union
            {{ keys_gone_since(staging_relation, key_column, since) }}
        ))
    {%- endif -%}
{%- endmacro %}
