{#- Post-hook of every model (dbt_project.yml), for tables only: refresh a table's planner statistics
    when they are missing (a table created tonight) or the table grew or shrank by more than a tenth
    since they were taken. A freshly created table has
    none until autovacuum passes, and a table that took in two nights of slices kept statistics saying
    those nights were empty: the models after it in the same night got nested-loop plans. But an
    incremental table that changed by a little tonight keeps good statistics, and sampling a big
    table for nothing is a cost every night. The size is read in pages
    (pg_relation_size against the relpages the last analyze recorded): it counts tonight's own rows,
    which Postgres' row counters only show once the night commits. -#}
{% macro analyze_when_stale() -%}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
    do $$
    begin
        if coalesce((
            select
                (stats.last_analyze is null and stats.last_autoanalyze is null)
                or relations.relpages = 0
                or abs(pg_relation_size(relations.oid) / current_setting('block_size')::bigint - relations.relpages)
                > 0.1 * relations.relpages
            from pg_class as relations
            inner join pg_stat_user_tables as stats on relations.oid = stats.relid
            where relations.oid = '{{ this.schema }}.{{ this.identifier }}'::regclass
        ), true) then
            execute 'analyze {{ this.schema }}.{{ this.identifier }}';
        end if;
    end
    $$
    {%- endif -%}
{%- endmacro %}
