{#- `cast(<relation>.<column> as <type>) as <column>` for each of `columns`, the type read from the model's
    YAML contract (`data_type`): the contract is the one place a published column's type is written.
    `relation`: the CTE the columns come from (none: unqualified). Compiling a column the contract does not
    type is an error. -#}
{% macro contract_casts(relation, columns) -%}
    {%- set contract = model.columns if model is defined and model.columns is defined else {} -%}
    {%- for column in columns -%}
        {%- set data_type = contract[column].data_type if column in contract else none -%}
        {%- if data_type is none and execute -%}
            {{ exceptions.raise_compiler_error(model.name ~ ": column " ~ column ~ " has no data_type in its YAML") }}
        {%- endif %}
        cast({{ relation ~ '.' if relation }}{{ column }} as {{ data_type or 'text' }}) as {{ column }}
        {{- ',' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
