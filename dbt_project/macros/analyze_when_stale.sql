{#- Post-hook: refresh a table's planner statistics when they are missing (a table created tonight) or
    more than a tenth of its rows changed since they were taken. A freshly created table has none until
    autovacuum passes, and the models after it in the same night got nested-loop plans (kpi_territory:
    31 s instead of 2); but an incremental table that changed by 1% tonight keeps good statistics, and
    sampling a million-row table for nothing cost about a second a table. Postgres counts a
    transaction's changes only once it commits, so a night's changes count from the next night. -#}
{% macro analyze_when_stale() -%}
    do $$
    begin
        if coalesce((
            select
                (stats.last_analyze is null and stats.last_autoanalyze is null)
                or stats.n_mod_since_analyze > 0.1 * greatest(stats.n_live_tup, 1)
            from pg_stat_user_tables as stats
            where stats.relid = '{{ this.schema }}.{{ this.identifier }}'::regclass
        ), true) then
            execute 'analyze {{ this.schema }}.{{ this.identifier }}';
        end if;
    end
    $$
{%- endmacro %}
