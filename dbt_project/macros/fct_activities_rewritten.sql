{#- The activities fct_activities rewrites: those in the batches loaded since its newest (the batches the
    model reads), and those it holds with a user now matched to another employee (`recredited`, from
    users_credited_elsewhere). The model selects them, and its pre-hook keeps their before-images
    (macros/replaced_rows.sql). -#}
{% macro fct_activities_rewritten(recredited) -%}
    select delivered.activity_id from {{ ref('stg_crm__activities') }} as delivered
    where delivered._batch_id > (
        select cast(coalesce(max(loaded.batch_date), cast('1900-01-01' as date)) as text) from {{ this }} as loaded
    )
    {%- if recredited %}
    union
    select held.activity_id from {{ this }} as held where held.user_id in ({{ quoted_list(recredited) }})
    {%- endif %}
{%- endmacro %}

{#- CRM users a fact kept by batch holds with another employee than `identities` now matches (or none):
    a changed work email moves a user's activities to another rep, and a full rebuild would credit them
    there. Compared with the matches the fact's last build credited (record_credited_users), a table of
    a few thousand users, instead of the distinct users of 5M activities (2 s at --scale 1); without it
    (the fact's first incremental build), with the distinct users it holds. Asked when the model
    compiles and when its pre-hook runs, before either writes: the same answer. -#}
{% macro users_credited_elsewhere(identities) -%}
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
            select distinct held.user_id, held.employee_id from {{ this }} as held
            {%- endif %}
        ) as credited
        -- `identities` within a subquery: `dbt run --empty` renders a ref as an aliased subquery itself
        left join (select user_id, employee_id from {{ identities }}) as matched on credited.user_id = matched.user_id
        where credited.user_id is not null and credited.employee_id is distinct from matched.employee_id
        order by 1
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- In fct_activities' versions, after the night's: the activities it holds with a user now matched to
    another employee (`recredited`) and not delivered again, to be credited anew. -#}
{% macro activities_credited_anew(recredited) -%}
    {%- if recredited -%}
    union all
    select
        held.activity_id, held.user_id, held.activity_type, held.account_id, held.opportunity_id, held.lead_id,
        held.occurred_at, held.duration_minutes, held.batch_date
    from {{ this }} as held
    where
        held.user_id in ({{ quoted_list(recredited) }})
        and not exists (select from activities where activities.activity_id = held.activity_id)
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: the matches this build credited, for users_credited_elsewhere on the next. Kept by the
    table's oid, in `intermediate`: write-audit-publish renames the schemas, the tables keep their oid,
    and each of the two fact tables it rotates caught up from its own last build. -#}
{% macro record_credited_users(identities) -%}
    {%- set credited = credited_users_relation(this) -%}
    {%- set table_oid = "'" ~ this.include(database=false) ~ "'::regclass" -%}
    create table if not exists {{ credited }} (relation_oid oid, user_id text, employee_id text);
    delete from {{ credited }}
    where relation_oid = {{ table_oid }} or relation_oid not in (select pg_class.oid from pg_class);
    insert into {{ credited }} (relation_oid, user_id, employee_id)
    select {{ table_oid }}, user_id, employee_id from {{ identities }}
{%- endmacro %}

{% macro credited_users_relation(fact) -%}
    {{ return(api.Relation.create(database=fact.database, schema='intermediate',
                                  identifier=fact.identifier ~ '__credited')) }}
{%- endmacro %}
