{#- The contracts fct_contracts rewrites when it catches up from the night `since` (its last build); its
    the engine works them out once into a temporary table (macros/incremental/keys_to_rewrite.sql), analysed so
    Postgres plans the model's joins for their real number. -#}
{% macro fct_contracts_rewritten(since=none) -%}
    {%- set since = since if since is not none else last_built_night() -%}
        -- chains recomputed since the last build (every contract delivered since, and its chain)
        select chained.contract_id from {{ ref('int_contracts_chained') }} as chained
        where chained.loaded_through > {{ since }}
        union
        -- an event delivered since, or a termination dated into the nights since
        select delivered.contract_id from {{ ref('stg_contracts__contract_events') }} as delivered
        where delivered._batch_id > cast({{ since }} as text)
        union
        select dated.contract_id from {{ ref('stg_contracts__contract_events') }} as dated
        where
            -- its date after the last build's night and on or before tonight, as a range staging's
            -- partial index of terminations can read (a few of the events, not all of them)
            dated.event_type = 'terminated'
            and dated.occurred_at >= {{ since }} + 1
            and dated.occurred_at < {{ night() }} + 1
        union
        -- on an account delivered since (its raw batches: only the new partitions are read)
        select built.contract_id from {{ this }} as built
        where built.account_id in ({{ accounts_delivered_since(since) }})
        union
        -- the owner's employee, the rate of the signature day, or the night's activity no longer the
        -- ones held
        select built.contract_id from {{ this }} as built
        left join {{ ref('int_rep_identities_matched') }} as identities on built.owner_user_id = identities.user_id
        left join {{ ref('int_fx_rates_daily') }} as fx_rates
            on
                built.currency = fx_rates.currency
                and fx_rates.rate_date = coalesce(cast(built.signed_at as date), built.start_date)
        where
            built.owner_employee_id is distinct from identities.employee_id
            or built.tcv_usd is distinct from round(built.total_contract_value * fx_rates.rate_to_usd, 2)
            or built.acv_usd is distinct from round(built.annual_contract_value * fx_rates.rate_to_usd, 2)
            or built.is_active is distinct from {{ contract_is_active('built') }}
{%- endmacro %}
