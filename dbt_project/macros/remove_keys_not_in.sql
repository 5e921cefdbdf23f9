{#- Pre-hook of the marts kept incrementally by key from an incremental intermediate table: delete the
    keys that table no longer holds (a deal deleted since). delete+insert only replaces the keys the
    night's select returns, so without this they would linger. -#}
{% macro remove_keys_not_in(upstream_relation, key_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as built
        where not exists (
            select from {{ upstream_relation }} as upstream
            where upstream.{{ key_column }} = built.{{ key_column }}
        )
    {%- endif -%}
{%- endmacro %}
