{#- Position of a stage in the funnel (SPEC section 3): prospecting 1 .. negotiation 5, closed 6;
    null for a stage the CRM does not define. -#}
{% macro stage_order(stage_column) -%}
    case {{ stage_column }}
        {%- for stage in open_stage_names() %}
        when '{{ stage }}' then {{ loop.index }}
        {%- endfor %}
        when 'closed_won' then 6
        when 'closed_lost' then 6
    end
{%- endmacro %}
