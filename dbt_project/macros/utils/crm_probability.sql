{#- The CRM's 0-100 probability of a deal, or its stage's default where the CRM has none
    (stage_default_probabilities). -#}
{% macro crm_probability(probability_column, stage_column) -%}
    coalesce(
        {{ probability_column }},
        case {{ stage_column }}
            {%- for stage, probability in stage_default_probabilities().items() %}
            when '{{ stage }}' then {{ probability }}
            {%- endfor %}
        end
    )
{%- endmacro %}
