-- Signature time per period (month and quarter) of signature: contracts signed and the whole days
-- from sending for signature to signing, mean and median.
with

contracts as (
    select * from {{ ref('fct_contracts') }}
    where signed_at is not null and cast(signed_at as date) <= {{ night() }} and days_to_sign is not null
),

exploded as (
    select
        period_types.period_type,
        {{ period_start('period_types.period_type', 'contracts.signed_at') }} as period_start,
        contracts.days_to_sign
    from contracts
    cross join {{ period_types() }} as period_types
),

aggregated as (
    select
        period_type,
        period_start,
        count(*) as contracts_signed,
        avg(days_to_sign) as mean_days_to_sign,
        percentile_cont(0.5) within group (order by days_to_sign) as median_days_to_sign
    from exploded
    group by period_type, period_start
),

final as (
    select
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(contracts_signed as integer) as contracts_signed,
        cast(round(mean_days_to_sign, 2) as numeric(10, 2)) as mean_days_to_sign,
        cast(round(cast(median_days_to_sign as numeric), 2) as numeric(10, 2)) as median_days_to_sign
    from aggregated
)

select * from final
