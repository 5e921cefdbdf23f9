{#- Raw rows of the batches loaded up to the night, de-duplicated within each batch (newest version
    per key first). For the big event extracts: `_batch_id` is a window partition column, so a
    filter on it reaches the partitioned raw table and an incremental model reads only new batches. -#}
{% macro batch_rows(source_relation, key_columns, order_by='updated_at') -%}
    select
        *,
        row_number() over (
            partition by _batch_id, {{ key_columns | join(', ') }}
            order by {{ order_by }} desc nulls last, _line_number desc
        ) as version_rank
    from {{ source_relation }}
    where _batch_id <= cast({{ night() }} as text)
{%- endmacro %}
