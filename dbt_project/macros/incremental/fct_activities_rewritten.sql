{#- The activities fct_activities rewrites: those in the batches loaded since its newest (the batches the
    model reads), and those it holds with a user now matched to another employee (`recredited`, from
    users_credited_elsewhere; asked here when not given). The model selects them, and the engine
    keeps their before-images (macros/incremental/replaced_rows.sql). -#}
{% macro fct_activities_rewritten(recredited=none) -%}
    {%- if recredited is none -%}
        {%- set recredited = users_credited_elsewhere(ref(credited_identities_model())) -%}
    {%- endif -%}
    select delivered.activity_id from {{ ref('stg_crm__activities') }} as delivered
    where delivered._batch_id > (
        select cast(coalesce(max(loaded.batch_date), cast('1900-01-01' as date)) as text) from {{ this }} as loaded
    )
    {%- if recredited %}
    union
    {{ keys_held_by_users('activity_id', 'user_id', recredited) }}
    {%- endif %}
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
