-- One row per contract as of the night: its lineage (root, renewal depth, amendment or renewal), its
-- renewal, values in USD at the rate of the signature day (the start day before signature), the days
-- from sending for signature to signing, and whether it is active on the night.
-- Incremental by contract (delete+insert): a night rewrites the contracts whose chain was recomputed
-- since the table's last build (int_contracts_chained: every contract delivered and its chain), those
-- with a contract event delivered since or a termination dated into the nights since, those on an
-- account delivered since, and those whose owner's employee, USD values or `is_active` on the night are
-- no longer the ones held (one scan of the table); the others are kept, so the table equals a full
-- build. The keys are worked out by the engine into a temporary table
-- (macros/incremental/fct_contracts_rewritten.sql), analysed: told a few thousand, Postgres joins only
-- those contracts with their accounts, owners, rates and terminations, where a subquery (estimated at
-- all of them) had it join every contract first.
-- A whole rebuild every night rewrote and analysed every contract.
-- Contracts are never removed (staging keeps every one); a rerun or an older night rebuilds it whole.
-- depends_on: {{ source('crm', 'accounts') }} (the raw batches of accounts, read on incremental nights)
{{
    config(
        materialized='incremental',
        unique_key='contract_id',
        incremental_engine={'strategy': 'by_key', 'rewrites': 'fct_contracts_rewritten', 'prepare_keys': true},
        indexes=[{'columns': ['contract_id']}, {'columns': ['account_id']}, {'columns': ['loaded_through']}],
    )
}}

with

chained as not materialized (
    -- not materialised (Postgres): an incremental night reads the changed contracts by their key
    select * from {{ ref('int_contracts_chained') }}
),

events as (
    select * from {{ ref('stg_contracts__contract_events') }}
    where cast(occurred_at as date) <= {{ night() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where not is_deleted
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

contracts as (
    select * from chained
    {%- if is_incremental() %}
        where contract_id in ({{ keys_to_rewrite('contract_id') }})
    {%- endif %}
),

terminations as (
    select
        contract_id,
        min(occurred_at) as terminated_at
    from events
    where event_type = 'terminated'
    group by contract_id
),

final as (
    select
        cast(contracts.contract_id as text) as contract_id,
        cast(contracts.contract_number as text) as contract_number,
        cast(contracts.account_id as text) as account_id,
        cast(accounts.segment as text) as segment,
        cast(accounts.region as text) as region,
        cast(contracts.opportunity_id as text) as opportunity_id,
        cast(contracts.parent_contract_id as text) as parent_contract_id,
        cast(contracts.root_contract_id as text) as root_contract_id,
        cast(contracts.renewal_depth as integer) as renewal_depth,
        cast(contracts.is_amendment as boolean) as is_amendment,
        cast(contracts.is_renewal as boolean) as is_renewal,
        cast(contracts.renewal_contract_id as text) as renewal_contract_id,
        cast(contracts.status as text) as status,
        cast(contracts.start_date as date) as start_date,
        cast(contracts.end_date as date) as end_date,
        cast(contracts.term_months as integer) as term_months,
        cast(contracts.currency as text) as currency,
        cast(contracts.total_contract_value as numeric(18, 2)) as total_contract_value,
        cast(contracts.annual_contract_value as numeric(18, 2)) as annual_contract_value,
        cast(round(contracts.total_contract_value * fx_rates.rate_to_usd, 2) as numeric(18, 2)) as tcv_usd,
        cast(round(contracts.annual_contract_value * fx_rates.rate_to_usd, 2) as numeric(18, 2)) as acv_usd,
        cast(contracts.auto_renew as boolean) as auto_renew,
        cast(contracts.renewal_notice_days as integer) as renewal_notice_days,
        cast(contracts.sent_for_signature_at as timestamp) as sent_for_signature_at,
        cast(contracts.signed_at as timestamp) as signed_at,
        cast({{ day_count('contracts.sent_for_signature_at', 'contracts.signed_at') }} as integer) as days_to_sign,
        cast(terminations.terminated_at as timestamp) as terminated_at,
        cast(contracts.owner_user_id as text) as owner_user_id,
        cast(identities.employee_id as text) as owner_employee_id,
        cast({{ contract_is_active('contracts', 'terminations.terminated_at') }} as boolean) as is_active,
        cast({{ night() }} as date) as loaded_through
    from contracts
    left join accounts
        on contracts.account_id = accounts.account_id
    left join identities
        on contracts.owner_user_id = identities.user_id
    left join terminations
        on contracts.contract_id = terminations.contract_id
    left join fx_rates
        on
            contracts.currency = fx_rates.currency
            and fx_rates.rate_date = coalesce(cast(contracts.signed_at as date), contracts.start_date)
)

select * from final
