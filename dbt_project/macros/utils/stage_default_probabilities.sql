{#- Each stage's default probability (SPEC section 3), the same table as salesops.contracts.STAGE_PROBABILITY,
    which tests/unit/test_contracts.py holds it to. -#}
{% macro stage_default_probabilities() -%}
    {{ return({'prospecting': 10, 'qualification': 20, 'discovery': 40, 'proposal': 60, 'negotiation': 80,
               'closed_won': 100, 'closed_lost': 0}) }}
{%- endmacro %}
