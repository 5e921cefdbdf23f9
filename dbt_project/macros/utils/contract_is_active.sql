{#- A contract is active on the night: signed, started, not ended, not terminated, and signed or active
    in the contract system. `relation` holds the contract's columns; `terminated_at` defaults to its own. -#}
{% macro contract_is_active(relation, terminated_at=none) -%}
    (
        {{ relation }}.signed_at is not null
        and {{ relation }}.start_date <= {{ night() }}
        and {{ relation }}.end_date >= {{ night() }}
        and {{ terminated_at or relation ~ '.terminated_at' }} is null
        and {{ relation }}.status in ('signed', 'active')
    )
{%- endmacro %}
