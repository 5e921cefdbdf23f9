-- Contract lineage: each contract with the chain it belongs to. A child contract that ends with its
-- parent is an amendment (an uplift within the term); any other child is a renewal. The chain's root
-- is the original contract; renewal_depth counts renewals from it (a renewal of a renewal is 2).
-- A table: as a view, its three tests and fct_contracts each re-ran the recursion over every contract.
-- Incremental by chain (delete+insert by contract): a night recomputes the whole chains holding a
-- contract delivered since the last build, the chain it is in now and the one it was in, and keeps the
-- others: all a row says (its parent's end, its renewal, its root and depth) lies in its own chain.
-- A whole rebuild every night recomputed every chain for the few contracts a night delivers.
-- Outside the write-audit-publish swap (`intermediate`): a rerun or an older night empties it and
-- rebuilds it whole. Staging keeps every contract it saw, so none is ever removed here.
{{
    config(
        materialized='incremental',
        unique_key='contract_id',
        incremental_engine={'strategy': 'by_key'},
        indexes=[{'columns': ['contract_id']}, {'columns': ['loaded_through']}],
    )
}}

with recursive

contracts as not materialized (
    -- not materialised (Postgres): each use reads staging through its indexes (the delivered batches,
    -- a contract's parent, a parent's children) instead of a copy of every contract
    select * from {{ ref('stg_contracts__contracts') }}
),

parents as not materialized (
    select
        contract_id as parent_contract_id,
        end_date as parent_end_date
    from contracts
),

{% if is_incremental() -%}
    delivered as (
        select contracts.contract_id from contracts
        where contracts._batch_id > cast({{ last_built_night() }} as text)
    ),

    ancestors as (
        -- each delivered contract and its parents up to its root, as they are now (union, not union all:
        -- a loop of parents ends instead of recursing forever)
        select
            contracts.contract_id,
            contracts.parent_contract_id
        from contracts
        where contracts.contract_id in (select delivered.contract_id from delivered)
        union
        select
            contracts.contract_id,
            contracts.parent_contract_id
        from contracts
        inner join ancestors on contracts.contract_id = ancestors.parent_contract_id
    ),

    touched_roots as (
        -- the roots of the chains to recompute: the chain each delivered contract is in now, and the one
        -- it was in (it may have moved, or its chain joined another through a parent delivered late)
        select ancestors.contract_id from ancestors
        union
        select built.root_contract_id from {{ this }} as built
        where built.contract_id in (select delivered.contract_id from delivered)
    ),

    members as (
        -- every contract of those chains: the roots (with no parent among the contracts) and their
        -- descendants, through staging's index on parent_contract_id
        select contracts.contract_id from contracts
        left join parents on contracts.parent_contract_id = parents.parent_contract_id
        where
            contracts.contract_id in (select touched_roots.contract_id from touched_roots)
            and parents.parent_contract_id is null
        union all
        select contracts.contract_id
        from contracts
        inner join members on contracts.parent_contract_id = members.contract_id
    ),

    in_scope as (
        select * from contracts
        where contract_id in (select members.contract_id from members)
    ),
{%- else %}
    in_scope as (
        select * from contracts
    ),
{%- endif %}

typed as (
    select
        in_scope.*,
        -- no parent among the contracts (none, or one never delivered): the root of its chain
        parents.parent_contract_id is null as is_root,
        coalesce(parents.parent_end_date = in_scope.end_date, false) as is_amendment,
        parents.parent_contract_id is not null
        and coalesce(parents.parent_end_date <> in_scope.end_date, true) as is_renewal
    from in_scope
    left join parents
        on in_scope.parent_contract_id = parents.parent_contract_id
),

chains as (
    select
        contract_id,
        contract_id as root_contract_id,
        0 as renewal_depth
    from typed
    where is_root
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
        renewals.renewal_contract_id,
        cast({{ night() }} as date) as loaded_through
    from typed
    inner join chains
        on typed.contract_id = chains.contract_id
    left join renewals
        on typed.contract_id = renewals.contract_id
)

select * from chained
