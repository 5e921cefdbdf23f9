{#- Keys an incremental model kept by key rewrites, read from what can have changed since the night
    `since` (its last build): the queries its change detection unions. -#}

{#- Delivered since (a new version, a deletion) or dated into the nights since, in a staging table or
    an import CTE over one (`staged`). "Dated since" compares `created_at` itself, not its date: the
    staging table's index on it serves the test and its statistics size it (`cast(... as date) > ...`
    was estimated at a third of the table, so the night's few keys were joined by hashing every row). -#}
{% macro keys_delivered_or_dated_since(staged, key_column, since) -%}
    select delivered.{{ key_column }} from {{ staged }} as delivered
    where delivered._batch_id > cast({{ since }} as text)
    union
    select dated.{{ key_column }} from {{ staged }} as dated
    where dated.created_at >= cast({{ since }} as date) + 1
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


{#- The deals whose closes a table kept by deal (int_won_deals_dated, int_first_closes) holds may have
    changed since the night `since`: a version written since (the history table rewrites a deal's versions
    when it gets new ones), the deal delivered since (its account may have changed), or its account
    delivered since with another segment or region than the one held. `history` and `opportunities`:
    import CTEs over int_opportunity_history_versions and stg_crm__opportunities; `accounts`: the live
    accounts. -#}
{% macro deal_closes_changed_since(history, opportunities, accounts, since) -%}
    select rewritten.opportunity_id from {{ history }} as rewritten
    where rewritten.loaded_through > {{ since }}
    union
    select delivered.opportunity_id from {{ opportunities }} as delivered
    where delivered._batch_id > cast({{ since }} as text)
    union
    select built.opportunity_id
    from {{ this }} as built
    left join {{ accounts }} as accounts
        on built.account_id = accounts.account_id
    where
        built.account_id in ({{ accounts_delivered_since(since) }})
        and (built.segment is distinct from accounts.segment or built.region is distinct from accounts.region)
{%- endmacro %}


{#- Held rows valued at a rate published again since (a correction): those whose currency and rate day
    were valued at another rate (`fx_rate_to_usd`, kept in the table to compare) than `fx_rates` (an
    import CTE over int_fx_rates_daily) holds now. `rate_day`: the row's rate day, SQL over `{row}.`
    columns; `valued_when`: which held rows are valued at a past day's rate. `from_day`: the first rate
    day that can have changed (first_rate_day_published_since): only the held rows valued on or after it
    are compared, through an index on the rate day, not every closed deal grouped by currency, day
    and rate. -#}
{% macro keys_at_a_republished_rate(key_column, rate_day, fx_rates, from_day, valued_when='true') -%}
    {%- set built_day = rate_day | replace('{row}', 'built') %}
    select built.{{ key_column }}
    from {{ this }} as built
    where
        {{ built_day }} >= {{ from_day }}
        and (built.currency, {{ built_day }}) in (
        select
            rates_used.currency,
            rates_used.rate_date
        from (
            select distinct
                held.currency,
                {{ rate_day | replace('{row}', 'held') }} as rate_date,
                held.fx_rate_to_usd
            from {{ this }} as held
            where
                {{ valued_when | replace('{row}', 'held') }}
                and {{ rate_day | replace('{row}', 'held') }} >= {{ from_day }}
        ) as rates_used
        left join {{ fx_rates }} as fx_rates
            on rates_used.currency = fx_rates.currency and rates_used.rate_date = fx_rates.rate_date
        where rates_used.fx_rate_to_usd is distinct from fx_rates.rate_to_usd
    )
{%- endmacro %}


{#- The first rate day whose rate can differ from the one a table built on the night `since` used: the
    first day of the rates delivered since (a rate carries forward to the days after it, never before),
    or the day after `since` (days the last build had no rate for yet). Raw batches are append-only and
    pruning keeps every key's latest version, so no earlier day's rate can have changed. Read when the
    model runs and written as a literal, which the planner can match to the rate-day index. -#}
{% macro first_rate_day_published_since(since) -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select cast(least(min(cast(published.date as date)), " ~ since ~ " + 1) as text)"
            ~ " from " ~ source('crm', 'fx_rates') ~ " as published"
            ~ " where published._batch_id > cast(" ~ since ~ " as text)"
            ~ " and published._batch_id <= cast(" ~ night() ~ " as text)") -%}
        cast('{{ found.columns[0].values()[0] }}' as date)
    {%- else -%}
        cast('1900-01-01' as date)
    {%- endif -%}
{%- endmacro %}
