{#- Generic test: values lie within [min_value, max_value] (nulls pass). With `night_batch_column`,
    only the rows that column dates to the night are checked (a table that gains a slice a night:
    the earlier slices were checked on their night). -#}
{% test between(model, column_name, min_value=none, max_value=none, night_batch_column=none) %}
    select {{ column_name }}
    from {{ model }}
    where
        (
            {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% endif %}
            {%- if min_value is not none and max_value is not none %} or{% endif %}
            {%- if max_value is not none %} {{ column_name }} > {{ max_value }}{% endif %}
        )
        {%- if night_batch_column %}
        and {{ night_batch_column }} = {{ night_literal() }}
        {%- endif %}
{% endtest %}
