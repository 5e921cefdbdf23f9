{#- dbt's snapshot staging compares the night's source rows with the snapshot's current versions: every
    current version (dbt_valid_to is null), a CTE Postgres materialises whole (every deal, for the few
    delivered a night). A snapshot configured `stage_delivered_keys_only` hands
    dbt's own staging SQL (dbt.default__snapshot_staging_table, unchanged) a temporary table of the
    current versions of the delivered keys only, looked up by the snapshot's index on them.
    Only for a snapshot that never looks for hard deletes (hard_deletes='ignore'): a key missing from
    the source rows is then unchanged, never gone. -#}
{% macro postgres__snapshot_staging_table(strategy, source_sql, target_relation) -%}
    {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
    {%- if config.get('stage_delivered_keys_only') and strategy.unique_key is string
          and strategy.hard_deletes == 'ignore' -%}
        {%- set current = api.Relation.create(identifier=target_relation.identifier ~ '__current', type='table') -%}
        {%- call statement('snapshot_current_versions') -%}
            drop table if exists {{ current }};
            create temporary table {{ current }} as
            select * from {{ target_relation }}
            where
                {{ columns.dbt_valid_to }} is null
                and {{ strategy.unique_key }} in (
                    select delivered.{{ strategy.unique_key }} from ({{ source_sql }}) as delivered
                )
        {%- endcall -%}
        {{ return(dbt.default__snapshot_staging_table(strategy, source_sql, current)) }}
    {%- endif -%}
    {{ return(dbt.default__snapshot_staging_table(strategy, source_sql, target_relation)) }}
{%- endmacro %}
