{#- CRM users a table holds (in `user_column`) with another employee than `identities` now matches (or
    none): a changed work email moves a user's activities, deals and leads to another rep, and a full
    rebuild would credit them there. Compared with the matches the table's last build credited
    (record_credited_users), a small table of users, instead of the distinct users of every activity
    or deal the table holds; without it (the first incremental build), with the distinct users it
    holds. Asked when the model compiles (and by fct_activities' engine step), before anything writes:
    the same answer. -#}
{% macro users_credited_elsewhere(identities, user_column='user_id') -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set credited = credited_users_relation(this) -%}
    {%- set table_oid = "'" ~ this.include(database=false) ~ "'::regclass" -%}
    {%- set recorded = relation_exists_now(credited) and run_query(
        "select 1 from " ~ credited ~ " where relation_oid = " ~ table_oid ~ " limit 1").rows | length -%}
    {%- set query -%}
        select credited.user_id
        from (
            {%- if recorded %}
            select recorded.user_id, recorded.employee_id from {{ credited }} as recorded
            where recorded.relation_oid = {{ table_oid }}
            {%- else %}
            select distinct held.{{ user_column }} as user_id, held.employee_id from {{ this }} as held
            {%- endif %}
        ) as credited
        -- `identities` within a subquery: `dbt run --empty` renders a ref as an aliased subquery itself
        left join (select user_id, employee_id from {{ identities }}) as matched on credited.user_id = matched.user_id
        where credited.user_id is not null and credited.employee_id is distinct from matched.employee_id
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- Step of the engine after the select (by_key, `credits_users`): the matches this build credited, for
    users_credited_elsewhere on the next. Kept by the table's oid, in `intermediate`: write-audit-publish
    renames the schemas, the tables keep their oid, and each of the two fact tables it rotates caught up
    from its own last build. -#}
{% macro record_credited_users(identities) -%}
    {%- set credited = credited_users_relation(this) -%}
    {%- set table_oid = "'" ~ this.include(database=false) ~ "'::regclass" -%}
    create table if not exists {{ credited }} (relation_oid oid, user_id text, employee_id text);
    delete from {{ credited }}
    where relation_oid = {{ table_oid }} or relation_oid not in (select pg_class.oid from pg_class);
    insert into {{ credited }} (relation_oid, user_id, employee_id)
    select {{ table_oid }}, user_id, employee_id from {{ identities }}
{%- endmacro %}

{#- The keys of the rows this table holds with one of `users` (from users_credited_elsewhere) in
    `user_column`: the rows to credit anew. -#}
{% macro keys_held_by_users(key_column, user_column, users) -%}
    select held.{{ key_column }} from {{ this }} as held where held.{{ user_column }} in ({{ quoted_list(users) }})
{%- endmacro %}

{#- The model that matches CRM users to HR employees, whose matches the tables kept by key credit. -#}
{% macro credited_identities_model() -%}
    {{ return('int_rep_identities_matched') }}
{%- endmacro %}

{% macro credited_users_relation(fact) -%}
    {{ return(api.Relation.create(database=fact.database, schema='intermediate',
                                  identifier=fact.identifier ~ '__credited')) }}
{%- endmacro %}
