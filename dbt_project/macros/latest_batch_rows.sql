{#- Raw rows of the batches loaded up to the night, newest version per key first.
    Used by staging to keep the latest `updated_at` per primary key. -#}
{% macro latest_batch_rows(source_relation, key_columns, order_by='updated_at') -%}
    select
        *,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by {{ order_by }} desc nulls last, _batch_id desc, _line_number desc
        ) as version_rank
    from {{ source_relation }}
    where _batch_id <= cast({{ night() }} as text)
{%- endmacro %}
