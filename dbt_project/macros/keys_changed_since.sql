{#- Keys an incremental model kept by key rewrites, read from what can have changed since the night
    `since` (its last build): the queries its change detection unions. -#}

{#- Delivered since (a new version, a deletion) or dated into the nights since, in a staging table or
    an import CTE over one (`staged`). -#}
{% macro keys_delivered_or_dated_since(staged, key_column, since) -%}
    select delivered.{{ key_column }} from {{ staged }} as delivered
    where delivered._batch_id > cast({{ since }} as text)
    union
    select dated.{{ key_column }} from {{ staged }} as dated
    where cast(dated.created_at as date) > {{ since }}
{%- endmacro %}


{#- Gone since: the version delivered since is soft-deleted or dated after the night. -#}
{% macro keys_gone_since(staging_relation, key_column, since) -%}
    select gone.{{ key_column }} from {{ staging_relation }} as gone
    where
        gone._batch_id > cast({{ since }} as text)
        and (gone.is_deleted or cast(gone.created_at as date) > {{ night() }})
{%- endmacro %}


{#- The accounts delivered (a new version, a deletion) in the nights after `since` up to tonight, read
    from their raw batches: only the new partitions are scanned. -#}
{% macro accounts_delivered_since(since) -%}
    select delivered.account_id from {{ source('crm', 'accounts') }} as delivered
    where
        delivered._batch_id > cast({{ since }} as text)
        and delivered._batch_id <= cast({{ night() }} as text)
{%- endmacro %}
