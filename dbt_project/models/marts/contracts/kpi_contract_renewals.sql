-- Renewals due: one row per active contract (not an amendment) ending in the 90 days after the
-- night, with its ACV, the window it falls in (30, 60 or 90 days) and whether it is at risk: no
-- renewal contract yet and no renewal opportunity on its account created since the contract started.
with

contracts as (
    select * from {{ ref('fct_contracts') }}
    where
        is_active
        and not is_amendment
        and end_date > {{ night() }}
        and end_date <= {{ dbt.dateadd('day', 90, night()) }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where opportunity_type = 'renewal' and (not is_closed or is_won)
),

renewal_opportunities as (
    select
        contracts.contract_id,
        count(opportunities.opportunity_id) as renewal_opportunities
    from contracts
    inner join opportunities
        on contracts.account_id = opportunities.account_id and contracts.start_date <= opportunities.created_date
    group by contracts.contract_id
),

final as (
    select
        cast({{ night() }} as date) as snapshot_date,
        cast(contracts.contract_id as text) as contract_id,
        cast(contracts.account_id as text) as account_id,
        cast(contracts.segment as text) as segment,
        cast(contracts.region as text) as region,
        cast(contracts.end_date as date) as end_date,
        cast({{ day_count(night(), 'contracts.end_date') }} as integer) as days_until_end,
        cast(
            case
                when contracts.end_date <= {{ dbt.dateadd('day', 30, night()) }} then 30
                when contracts.end_date <= {{ dbt.dateadd('day', 60, night()) }} then 60
                else 90
            end as integer
        ) as due_within_days,
        cast(contracts.acv_usd as numeric(18, 2)) as acv_usd,
        cast(contracts.auto_renew as boolean) as auto_renew,
        cast(contracts.renewal_contract_id is not null as boolean) as has_renewal_contract,
        cast(coalesce(renewal_opportunities.renewal_opportunities, 0) > 0 as boolean) as has_renewal_opportunity,
        cast(
            contracts.renewal_contract_id is null and renewal_opportunities.contract_id is null as boolean
        ) as is_at_risk
    from contracts
    left join renewal_opportunities
        on contracts.contract_id = renewal_opportunities.contract_id
)

select * from final
