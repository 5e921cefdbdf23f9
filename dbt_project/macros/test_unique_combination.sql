{#- No two rows share the combination of `columns`. With `night_batch_column`, only the rows of the
    night's batch are checked: for a per-batch key of the big event extracts, each batch is checked on
    the night it is loaded instead of rescanning every batch ever loaded (29 s a night at --scale 1). -#}
{% test unique_combination(model, columns, night_batch_column=none) %}
    select {{ columns | join(', ') }}, count(*) as rows_per_key
    from {{ model }}
    {%- if night_batch_column %}
    where {{ night_batch_column }} = {{ night() }}
    {%- endif %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
