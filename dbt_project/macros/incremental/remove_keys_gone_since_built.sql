{#- Step of the engine (by_key, `removes_gone_from`) for the models kept by key from an incremental staging
    table (directly or through an intermediate table kept the same way): delete the keys gone since this
    table's last build. delete+insert only replaces the keys the night's select returns, and these return
    nothing, so without this they would linger. Read from staging's new batches, not by comparing whole
    tables. -#}
{% macro remove_keys_gone_since_built(staging_relation, key_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key_column }} in ({{ keys_gone_since(staging_relation, key_column, last_built_night()) }})
    {%- endif -%}
{%- endmacro %}
