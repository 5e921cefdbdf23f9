{#- Pre-hook of a model kept by key whose keys to rewrite cost a query worth running once: works them
    out into a temporary table (hooks and the model's select share one session), which the before-images
    (record_replaced_rows) and the model's select both read. fct_leads' keys read 2M leads for the
    first activities delivered again (0.4 s at --scale 1), and the model asked for them twice. -#}
{% macro prepare_keys_to_rewrite(key_column, keys_query) -%}
    {%- if is_incremental() -%}
        drop table if exists {{ keys_to_rewrite_table() }};
        create temporary table {{ keys_to_rewrite_table() }} as {{ keys_query }};
        analyze {{ keys_to_rewrite_table() }};
    {%- endif -%}
{%- endmacro %}

{#- The keys prepare_keys_to_rewrite worked out, as a query. -#}
{% macro keys_to_rewrite(key_column) -%}
    select rewritten_keys.{{ key_column }} from {{ keys_to_rewrite_table() }} as rewritten_keys
{%- endmacro %}

{% macro keys_to_rewrite_table() -%}
    pg_temp.{{ this.identifier }}__keys_to_rewrite
{%- endmacro %}
