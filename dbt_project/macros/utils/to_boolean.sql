{#- The words the loader accepts (vars true_words and false_words); empty is null. -#}
{% macro to_boolean(column) -%}
    case
        when lower(trim({{ column }})) in ({{ quoted_list(var('true_words')) }}) then true
        when lower(trim({{ column }})) in ({{ quoted_list(var('false_words')) }}) then false
    end
{%- endmacro %}
