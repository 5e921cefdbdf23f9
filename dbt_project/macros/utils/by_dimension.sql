{#- KPI tables are cut by dimension (SPEC section 4, published contract): one row per period and
    dimension value, for the dimension 'all' and for each of segment, type, region and rep, whose rows
    add up to the 'all' row ('unknown' where the value is missing).

    Built with GROUPING SETS rather than by cross joining every row with the dimensions: the cross join
    sorts five copies of every deal, spilling to disk. GROUPING SETS and grouping() are standard SQL
    (Snowflake, BigQuery, Redshift, ...).

    by_period(relation, date_column): each row once per period type, with the period holding
    date_column and a `by_<dimension>` column per dimension; group it by dimension_grouping_sets(keys)
    and select dimension_of_grouping() and dimension_value_of_grouping() as dimension and its value. -#}

{% macro dimension_columns() -%}
    {{ return({'segment': 'segment', 'type': 'opportunity_type', 'region': 'region', 'rep': 'employee_id'}) }}
{%- endmacro %}

{% macro by_period(relation, date_column, dimensions=['all', 'segment', 'type', 'region', 'rep']) -%}
    select
        period_types.period_type,
        {{ period_start('period_types.period_type', relation ~ '.' ~ date_column) }} as period_start,
        {%- for dimension in dimensions if dimension != 'all' %}
        coalesce({{ relation }}.{{ dimension_columns()[dimension] }}, 'unknown') as by_{{ dimension }},
        {%- endfor %}
        {{ relation }}.*
    from {{ relation }}
    cross join {{ period_types() }} as period_types
{%- endmacro %}

{% macro dimension_grouping_sets(keys, dimensions=['all', 'segment', 'type', 'region', 'rep']) -%}
    grouping sets (
        {%- for dimension in dimensions %}
        ({{ keys | join(', ') }}{{ ', by_' ~ dimension if dimension != 'all' }}){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro dimension_of_grouping(dimensions=['all', 'segment', 'type', 'region', 'rep']) -%}
    case
        {%- for dimension in dimensions if dimension != 'all' %}
        when grouping(by_{{ dimension }}) = 0 then '{{ dimension }}'
        {%- endfor %}
        else 'all'
    end
{%- endmacro %}

{% macro dimension_value_of_grouping(dimensions=['all', 'segment', 'type', 'region', 'rep']) -%}
    coalesce({% for dimension in dimensions if dimension != 'all' %}by_{{ dimension }}, {% endfor %}'all')
{%- endmacro %}

{#- For additive measures: the rows of `relation` counted (`row_count`) and `sums` summed per month of
    `date_column` (kept under its name, now the month's first day: by_period puts it in the same
    periods), dimension values and `columns`, before by_period fans them out to the period types and
    grouping sets: counted first, far fewer rows are grouped five ways. -#}
{% macro counted_by_month(relation, date_column, columns=[], sums=[]) -%}
    {%- set keys = dimension_columns().values() | list + columns -%}
    select
        cast({{ dbt.date_trunc('month', date_column) }} as date) as {{ date_column }},
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {%- for measure in sums %}
        sum({{ measure }}) as {{ measure }},
        {%- endfor %}
        count(*) as row_count
    from {{ relation }}
    group by cast({{ dbt.date_trunc('month', date_column) }} as date), {{ keys | join(', ') }}
{%- endmacro %}

{#- A dimension's value column in by_period's rows ('all' for the dimension 'all'). -#}
{% macro dimension_value_of(dimension) -%}
    {{ "'all'" if dimension == 'all' else 'by_' ~ dimension }}
{%- endmacro %}

{#- For a KPI kept by group (prepare_periods_to_rebuild with `dimensions`): `relation` (by_period's rows)
    grouped by `keys` and one dimension at a time, each dimension reading only the rows of its groups to
    rebuild (in_groups_to_rebuild), `measures` (SQL with their aliases) computed per group. One
    aggregate per dimension, appended, where GROUPING SETS would feed every row to every dimension: a
    night that touches only segment groups in a quarter reads that quarter's rows of those segments once. -#}
{% macro grouped_by_dimension(relation, keys, measures, dimensions) -%}
    {%- for dimension in dimensions %}
    select
        {{ keys | join(', ') }},
        cast('{{ dimension }}' as text) as dimension,
        {{ dimension_value_of(dimension) }} as dimension_value,
        {{ measures | join(', ') }}
    from {{ relation }}
    where {{ in_groups_to_rebuild(dimension) }}
    group by {{ keys | join(', ') }}{{ ', by_' ~ dimension if dimension != 'all' }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
