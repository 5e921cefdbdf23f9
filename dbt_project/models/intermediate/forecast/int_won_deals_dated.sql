-- Every deal won up to the night, dated by the history version that closed it (the day it became
-- known as won), in USD at that day's rate, with its account's segment and region.
-- A table, not a view: the pipeline forecast, the accuracy mart, the Python time series and its tests
-- each joined every version with its deal and account again (1.3 s a read at --scale 1).
{{ config(materialized='table', post_hook='analyze {{ this }}') }}

with

versions as (
    -- the version that first made each deal won (marked in the history table, per deal)
    select * from {{ ref('int_opportunity_versions') }}
    where is_first_win
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

first_wins as (
    select
        opportunity_id,
        segment,
        region,
        amount,
        currency,
        valid_from_date as won_date
    from versions
),

final as (
    select
        first_wins.opportunity_id,
        first_wins.segment,
        first_wins.region,
        first_wins.won_date,
        cast(round(first_wins.amount * fx_rates.rate_to_usd, 2) as numeric(18, 2)) as amount_usd
    from first_wins
    left join fx_rates
        on first_wins.currency = fx_rates.currency and first_wins.won_date = fx_rates.rate_date
)

select * from final
