{#- Staging kept incrementally (the big extracts' tables, which keep `_batch_id` and `_line_number` of the
    version they hold). Two halves:

    new_batch_rows(source): the raw rows the model reads tonight: the batches loaded since the table's
    last build, up to the night (all of them up to the night on a full build). `_batch_id` is the raw
    tables' partition key, so only the new partitions are scanned.

    latest_versions(cte, keys, order_by): the latest version of each key among the cleaned rows of `cte`
    (newest `order_by`, then the latest batch and line: latest_first). In an incremental run a key whose
    version held by the table comes first under that order is left out, so delete+insert keeps the held
    one: the table holds what the full read would give. The held versions are looked up by the table's key
    index; reading their raw rows back by batch and line instead would scan the whole raw table, most of
    the work of a night that delivers little. The order is on the cleaned columns (the parsed
    `updated_at`), on a full build as on an incremental one.

    `distinct on` rather than `row_number() = 1`: see latest_batch_rows.sql. The model must run
    empty_unless_moving_forward('_batch_id') before the select (strategy latest_versions), so a rerun or
    an older night re-reads everything. -#}
{% macro new_batch_rows(source_relation) -%}
    select * from {{ source_relation }}
    where
        _batch_id <= cast({{ night() }} as text)
        {%- if is_incremental() %}
        and _batch_id > (select coalesce(max(built._batch_id), '') from {{ this }} as built)
        {%- endif %}
{%- endmacro %}

{% macro latest_versions(cte, key_columns, order_by='updated_at') -%}
    select distinct on ({{ key_columns | join(', ') }}) *
    from {{ cte }} as candidate
    {%- if is_incremental() %}
    where not exists (
        select from {{ this }} as known
        where
            {% for key in key_columns -%}
            known.{{ key }} = candidate.{{ key }}
            and {% endfor -%}
            (
                known.{{ order_by }} > candidate.{{ order_by }}
                or (known.{{ order_by }} is not null and candidate.{{ order_by }} is null)
                or (
                    known.{{ order_by }} is not distinct from candidate.{{ order_by }}
                    and (known._batch_id, known._line_number) > (candidate._batch_id, candidate._line_number)
                )
            )
    )
    {%- endif %}
    order by {{ latest_first(key_columns, order_by) }}
{%- endmacro %}
