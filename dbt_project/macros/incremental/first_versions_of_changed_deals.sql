{#- The versions of int_opportunity_versions that first `marker` each deal (is_first_close, is_first_win:
    marked in the history table, per deal); on an incremental night only those of the model's
    `changed_deals` CTE. Shared by int_first_closes and int_won_deals_dated. -#}
{% macro first_versions_of_changed_deals(marker) -%}
    select * from {{ ref('int_opportunity_versions') }}
    where
        {{ marker }}
        {% if is_incremental() -%}
            -- an array, not `in (select ...)`: the condition then reaches the history table under the
            -- view's joins and its index finds the few deals (as a semi-join, Postgres joined every
            -- first close with its deal and account first)
            and opportunity_id = any(array(select changed_deals.opportunity_id from changed_deals))
        {%- endif %}
{%- endmacro %}
