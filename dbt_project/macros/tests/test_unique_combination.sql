{#- No two rows share the combination of `columns`. With `night_batch_column`, only the rows of the
    night's batch are checked: for a per-batch key of the big event extracts, each batch is checked on
    the night it is loaded instead of rescanning every batch ever loaded, every night.
    On a view over the raw tables, pass `_batch_id`: a filter on the cast batch_date reads every
    partition, one on `_batch_id` only the night's. -#}
{% test unique_combination(model, columns, night_batch_column=none) %}
    select {{ columns | join(', ') }}, count(*) as rows_per_key
    from {{ model }}
    {%- if night_batch_column %}
    -- an untyped literal: the column is a date, or the raw text `_batch_id` (partition pruning)
    where {{ night_batch_column }} = {{ night_literal() }}
    {%- endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
