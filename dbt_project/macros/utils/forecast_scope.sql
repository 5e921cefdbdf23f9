{#- The scopes a forecast is made for, as a relation to cross join: company-wide, per segment, per region. -#}
{% macro forecast_scope_kinds() -%}
    (
        select 'company' as scope_kind
        union all
        select 'segment' as scope_kind
        union all
        select 'region' as scope_kind
    )
{%- endmacro %}

{#- A row's scope label for its scope kind: company, segment:<segment> or region:<region> (the
    format fct_forecast_snapshots, kpi_forecast_accuracy and salesops.forecast.time_series share). -#}
{% macro forecast_scope(scope_kind, segment, region) -%}
    case {{ scope_kind }}
        when 'company' then 'company'
        when 'segment' then 'segment:' || coalesce({{ segment }}, 'unknown')
        when 'region' then 'region:' || coalesce({{ region }}, 'unknown')
    end
{%- endmacro %}
