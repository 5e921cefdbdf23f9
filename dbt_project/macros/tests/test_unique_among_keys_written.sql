{#- The keys written tonight (`written_column` is the night: `_batch_id`, `loaded_through`) appear once
    in the whole table. For a table kept by key (delete+insert): only tonight's keys can have gained
    a duplicate, and each is looked up by its index instead of grouping every row of the table every
    night. -#}
{% test unique_among_keys_written(model, column_name, written_column) %}
    select {{ column_name }}, count(*) as rows_per_key
    from {{ model }}
    where {{ column_name }} in (
        select written.{{ column_name }} from {{ model }} as written
        where written.{{ written_column }} = {{ night_literal() }}
    )
    group by {{ column_name }}
    having count(*) > 1
{% endtest %}
