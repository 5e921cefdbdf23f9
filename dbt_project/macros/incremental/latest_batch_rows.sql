{#- The latest version of each key among the batches loaded up to the night (newest `updated_at`,
    then the latest batch and line). Staging's de-duplication for the small extracts, read whole.

    `distinct on` rather than `row_number() = 1`: the planner estimates its output as the number of
    distinct keys, where it guesses a filter on a window result at its default 0.5% of the rows and
    then chooses nested loops over joins of whole extracts. Postgres syntax; another
    warehouse would dispatch this macro to qualify/row_number.

    The big extracts' staging tables are kept incrementally instead: see latest_versions.sql. -#}
{% macro latest_batch_rows(source_relation, key_columns, order_by='updated_at') -%}
    select distinct on ({{ key_columns | join(', ') }}) *
    from {{ source_relation }}
    where _batch_id <= cast({{ night() }} as text)
    order by {{ latest_first(key_columns, order_by) }}
{%- endmacro %}

{#- The order the versions of a key compete under, the winner first: the newest `order_by`, then the
    latest batch and line. latest_versions' held-version check states the same order as a comparison. -#}
{% macro latest_first(key_columns, order_by) -%}
    {{ key_columns | join(', ') }}, {{ order_by }} desc nulls last, _batch_id desc, _line_number desc
{%- endmacro %}
