{#- The open stages of the funnel, in order (SPEC section 3): the one list stage_order and every
    stage-by-stage model read. -#}
{% macro open_stage_names() -%}
    {{ return(['prospecting', 'qualification', 'discovery', 'proposal', 'negotiation']) }}
{%- endmacro %}

{#- The open stages as a relation (stage, stage_order) to join or cross join. -#}
{% macro open_stages() -%}
    (
        {%- for stage in open_stage_names() %}
        select
            '{{ stage }}' as stage,
            {{ loop.index }} as stage_order
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    )
{%- endmacro %}
