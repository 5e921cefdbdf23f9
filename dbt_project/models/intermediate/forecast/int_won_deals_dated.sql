-- Every deal won up to the night, dated by the history version that closed it (the day it became
-- known as won), in USD at that day's rate, with its account's segment and region.
-- A table, not a view: the pipeline forecast, the accuracy mart, the Python time series and its tests
-- each joined every version with its deal and account again.
-- Incremental by deal (delete+insert): a night rewrites the deals whose history changed since the
-- table's last build (new versions: the first win can only be joined by a later one, or move earlier
-- when a late version arrives), the deals delivered since (their account may have changed), those on an
-- account delivered since whose segment or region is no longer the one held, and those won on a day
-- whose rate was published again since (the rate used is kept to compare), so it equals a full build.
-- Outside the write-audit-publish swap (`intermediate`): a rerun or an older night empties it and
-- rebuilds it whole.
-- depends_on: {{ source('crm', 'fx_rates') }} (the raw batches of rates, read on incremental nights)
{%- set since = last_built_night() %}
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_engine={'strategy': 'by_key'},
        indexes=[
            {'columns': ['opportunity_id']}, {'columns': ['account_id']}, {'columns': ['loaded_through']},
            {'columns': ['won_date']},
        ],
    )
}}

with

history as (
    select * from {{ ref('int_opportunity_history_versions') }}
),

-- these two are read by the change detection only, on incremental nights (which lint does not render)
opportunities as ( -- noqa: ST03
    select * from {{ ref('stg_crm__opportunities') }}
),

accounts as ( -- noqa: ST03
    select * from {{ ref('stg_crm__accounts') }}
    where not is_deleted
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

changed_deals as (
    {% if is_incremental() -%}
        -- history, delivery or account changed since (macros/incremental/keys_changed_since.sql)
        {{ deal_closes_changed_since('history', 'opportunities', 'accounts', since) }}
        union
        -- won on a day whose rate was published again since (a correction)
        {{ keys_at_a_republished_rate('opportunity_id', '{row}.won_date', 'fx_rates',
                                      first_rate_day_published_since(since)) }}
    {%- else -%}
        select history.opportunity_id from history
        where false
    {%- endif %}
),

versions as (
    -- the version that first made each deal won (macros/incremental/first_versions_of_changed_deals.sql)
    {{ first_versions_of_changed_deals('is_first_win') }}
),

first_wins as (
    select
        opportunity_id,
        account_id,
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
        first_wins.account_id,
        first_wins.segment,
        first_wins.region,
        first_wins.won_date,
        first_wins.currency,
        fx_rates.rate_to_usd as fx_rate_to_usd,
        cast(round(first_wins.amount * fx_rates.rate_to_usd, 2) as numeric(18, 2)) as amount_usd,
        cast({{ night() }} as date) as loaded_through
    from first_wins
    left join fx_rates
        on first_wins.currency = fx_rates.currency and first_wins.won_date = fx_rates.rate_date
)

select * from final
