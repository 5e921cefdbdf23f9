-- Contract lineage: each contract with the chain it belongs to. A child contract that ends with its
-- parent is an amendment (an uplift within the term); any other child is a renewal. The chain's root
-- is the original contract; renewal_depth counts renewals from it (a renewal of a renewal is 2).
with recursive

contracts as (
    select * from {{ ref('stg_contracts__contracts') }}
),

typed as (
    select
        contracts.*,
        parents.contract_id is not null and contracts.end_date = parents.end_date as is_amendment,
        parents.contract_id is not null and contracts.end_date is distinct from parents.end_date as is_renewal
    from contracts
    left join contracts as parents
        on contracts.parent_contract_id = parents.contract_id
),

chains as (
    select
        contract_id,
        contract_id as root_contract_id,
        0 as renewal_depth
    from typed
    where parent_contract_id is null or parent_contract_id not in (select contract_id from typed)
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
        typed.*,
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
