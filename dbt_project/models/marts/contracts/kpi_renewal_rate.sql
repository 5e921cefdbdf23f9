-- Renewal rate per period (month and quarter) of the contract end date: of the contracts that came
-- due (signed and ended by the night; drafts, contracts never signed, amendments and contracts terminated
-- early are not due), the share renewed.
with

contracts as (
    select * from {{ ref('fct_contracts') }}
    where
        not is_amendment
        and terminated_at is null
        and end_date <= {{ night() }}
        and {{ contract_is_signed('status') }}
),

exploded as (
    select
        period_types.period_type,
        {{ period_start('period_types.period_type', 'contracts.end_date') }} as period_start,
        contracts.renewal_contract_id is not null as is_renewed,
        contracts.acv_usd
    from contracts
    cross join {{ period_types() }} as period_types
),

aggregated as (
    select
        period_type,
        period_start,
        count(*) as contracts_due,
        sum(case when is_renewed then 1 else 0 end) as contracts_renewed,
        coalesce(sum(acv_usd), 0) as acv_due_usd,
        coalesce(sum(case when is_renewed then acv_usd end), 0) as acv_renewed_usd
    from exploded
    group by period_type, period_start
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(contracts_due as integer) as contracts_due,
        cast(contracts_renewed as integer) as contracts_renewed,
        cast(round({{ safe_divide('contracts_renewed', 'contracts_due') }}, 6) as numeric(8, 6)) as renewal_rate,
        cast(acv_due_usd as numeric(18, 2)) as acv_due_usd,
        cast(acv_renewed_usd as numeric(18, 2)) as acv_renewed_usd
    from aggregated
)

select * from final
