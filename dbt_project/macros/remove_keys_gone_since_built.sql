{#- Pre-hook of the models kept incrementally by key from an incremental staging table: delete the keys
    whose version delivered since this table's last build is soft-deleted or dated after the night.
    delete+insert only replaces the keys the night's select returns, and these return nothing, so
    without this they would linger. `night_column` holds the night each row was written. -#}
{% macro remove_keys_gone_since_built(staging_relation, key_column, night_column='loaded_through') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key_column }} in (
            select gone.{{ key_column }} from {{ staging_relation }} as gone
            where
                gone._batch_id > (
                    select cast(coalesce(max(built.{{ night_column }}), cast('1900-01-01' as date)) as text)
                    from {{ this }} as built
                )
                and (gone.is_deleted or cast(gone.created_at as date) > {{ night() }})
        )
    {%- endif -%}
{%- endmacro %}
