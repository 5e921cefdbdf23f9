-- Every deal closed up to the night, by the history version that first closed it: the day, whether it
-- was won, the furthest open stage it had reached, and its account's segment and region. The historical
-- stage win rates of int_forecast_pipeline_methods count these; read from the versions, each night
-- joined every first close with its deal and account again.
-- Incremental by deal (delete+insert), like int_won_deals_dated: a night rewrites the deals whose
-- history, delivery or account changed since its last build, so it equals a full build. Outside the
-- write-audit-publish swap (`intermediate`): a rerun or an older night empties it and rebuilds it whole.
{%- set since = last_built_night() %}
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_engine={'strategy': 'by_key'},
        indexes=[{'columns': ['opportunity_id']}, {'columns': ['account_id']}, {'columns': ['loaded_through']}],
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

changed_deals as (
    {% if is_incremental() -%}
        -- history, delivery or account changed since (macros/incremental/keys_changed_since.sql)
        {{ deal_closes_changed_since('history', 'opportunities', 'accounts', since) }}
    {%- else -%}
        select history.opportunity_id from history
        where false
    {%- endif %}
),

versions as (
    -- the version that first closed each deal (macros/incremental/first_versions_of_changed_deals.sql)
    {{ first_versions_of_changed_deals('is_first_close') }}
),

final as (
    select
        opportunity_id,
        account_id,
        segment,
        region,
        valid_from_date as closed_date,
        is_won,
        furthest_open_stage_order,
        cast({{ night() }} as date) as loaded_through
    from versions
)

select * from final
