{#- A contract was signed: its status is past the signing steps (a draft, one in approval or out for
    signature never counts as due for renewal, SPEC: contracts). -#}
{% macro contract_is_signed(status_column) -%}
    ({{ status_column }} not in ('draft', 'in_approval', 'out_for_signature'))
{%- endmacro %}
