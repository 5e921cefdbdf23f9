{#- A company name as duplicate detection compares it (SPEC: CRM hygiene): lower case, punctuation gone,
    legal suffixes at the end removed (inc, llc, ltd, gmbh, ...), spaces collapsed: "Acme, Inc." = "ACME inc". -#}
{% macro normalized_company_name(column) -%}
    trim(regexp_replace(
        regexp_replace(
            regexp_replace(lower({{ column }}), '[[:punct:]]+', ' ', 'g'),
            '(\s+(inc|incorporated|llc|ltd|limited|gmbh|corp|corporation|co|plc|ag|sa|bv|llp|pty))+\s*$', '', 'g'
        ),
        '\s+', ' ', 'g'
    ))
{%- endmacro %}
