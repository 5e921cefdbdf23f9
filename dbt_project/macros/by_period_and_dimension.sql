{#- Each row of a CTE once per period type (the period holding `date_column`) and per KPI dimension,
    ready to be aggregated to period x dimension value (SPEC section 4, published contract). -#}
{% macro by_period_and_dimension(relation, date_column, dimensions=['all', 'segment', 'type', 'region', 'rep']) -%}
    select
        period_types.period_type,
        {{ period_start('period_types.period_type', relation ~ '.' ~ date_column) }} as period_start,
        dimensions.dimension,
        {{ dimension_value(dimensions, segment=relation ~ '.segment', opportunity_type=relation ~ '.opportunity_type',
                           region=relation ~ '.region', employee_id=relation ~ '.employee_id') }} as dimension_value,
        {{ relation }}.*
    from {{ relation }}
    cross join {{ period_types() }} as period_types
    cross join {{ kpi_dimensions(dimensions) }} as dimensions
{%- endmacro %}
