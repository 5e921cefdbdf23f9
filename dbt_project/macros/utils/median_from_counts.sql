{#- The median (percentile_cont(0.5)) of each group, read from a table of value counts: one row per
    group and value with how many rows hold it. For the KPI medians of whole days: a few hundred
    distinct values per group, so counting them is a hash aggregate, where percentile_cont sorted every
    row (kpi_stage_duration's stays, spilling to disk).

    The median of n values is the average of the values at 0-based positions floor((n - 1) / 2) and
    ceil((n - 1) / 2) of the sorted list: one value when n is odd, the two middle ones when even. A
    value covers positions [running - count, running) where running is the count up to and including
    it. Null values must be left out of the counts (percentile_cont ignores them). Group columns must
    not be null (they are joined back on). -#}
{% macro median_from_counts(counts_relation, group_columns, value_column, count_column) -%}
    select
        {{ group_columns | join(', ') }},
        avg({{ value_column }}) as median_value
    from (
        select
            {{ group_columns | join(', ') }},
            {{ value_column }},
            sum(cast({{ count_column }} as integer)) over (
                partition by {{ group_columns | join(', ') }} order by {{ value_column }}
                rows between unbounded preceding and current row
            ) as running_count,
            cast({{ count_column }} as integer) as value_count,
            sum(cast({{ count_column }} as integer)) over (partition by {{ group_columns | join(', ') }}) as total_count
        from {{ counts_relation }}
    ) as positioned
    where
        -- in whole numbers: floor((n - 1) / 2) is (n - 1) / 2 and ceil((n - 1) / 2) is n / 2 in integer
        -- division (sums of integers are bigints; of bigints, numerics, slower to add up and compare)
        (running_count - value_count <= (total_count - 1) / 2 and (total_count - 1) / 2 < running_count)
        or (running_count - value_count <= total_count / 2 and total_count / 2 < running_count)
    group by {{ group_columns | join(', ') }}
{%- endmacro %}
