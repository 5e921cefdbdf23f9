-- Contract lineage: each contract with the chain it belongs to. A child contract that ends with its
-- parent is an amendment (an uplift within the term); any other child is a renewal. The chain's root
-- is the original contract; renewal_depth counts renewals from it (a renewal of a renewal is 2).
-- A table: as a view, its three tests and fct_contracts each re-ran the recursion over every
-- contract (20 s of tests a night at --scale 1).
{{ config(materialized='table', post_hook='analyze {{ this }}') }}

with recursive

contracts as (
    select * from {{ ref('stg_contracts__contracts') }}
),

parents as (
    select
        contract_id as parent_contract_id,
        end_date as parent_end_date
    from contracts
),

typed as (
    select
        contracts.*,
        coalesce(parents.parent_end_date = contracts.end_date, false) as is_amendment,
        parents.parent_contract_id is not null
        and coalesce(parents.parent_end_date <> contracts.end_date, true) as is_renewal
    from contracts
    left join parents
        on contracts.parent_contract_id = parents.parent_contract_id
),

chains as (
    select
        contract_id,
        contract_id as root_contract_id,
        0 as renewal_depth
    from typed
    where parent_contract_id is null or parent_contract_id not in (select parents.parent_contract_id from parents)
    union all
    select
        typed.contract_id,
        chains.root_contract_id,
        chains.renewal_depth + case when typed.is_renewal then 1 else 0 end as renewal_depth
    from typed
    inner join chains
        on typed.parent_contract_id = chains.contract_id
),

renewals as (
    select
        parent_contract_id as contract_id,
        min(contract_id) as renewal_contract_id
    from typed
    where is_renewal
    group by parent_contract_id
),

chained as (
    select
        typed.contract_id,
        typed.contract_number,
        typed.account_id,
        typed.opportunity_id,
        typed.parent_contract_id,
        typed.status,
        typed.currency,
        typed.owner_user_id,
        typed.start_date,
        typed.end_date,
        typed.term_months,
        typed.total_contract_value,
        typed.annual_contract_value,
        typed.auto_renew,
        typed.renewal_notice_days,
        typed.sent_for_signature_at,
        typed.signed_at,
        typed.updated_at,
        typed.is_amendment,
        typed.is_renewal,
        chains.root_contract_id,
        chains.renewal_depth,
        renewals.renewal_contract_id
    from typed
    inner join chains
        on typed.contract_id = chains.contract_id
    left join renewals
        on typed.contract_id = renewals.contract_id
)

select * from chained
