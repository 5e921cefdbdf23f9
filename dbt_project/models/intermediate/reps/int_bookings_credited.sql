-- Closed-won deals up to the night, in USD at the rate of the close date, credited to the
-- HR employee behind the opportunity owner at close.
-- A narrow table kept by deal, not a view of int_opportunities_enriched: each of its four readers
-- (quota attainment, ramp time, territory, pipeline coverage) read every enriched deal for the won
-- ones. A night rewrites the deals int_opportunities_enriched rewrote
-- since this table's last build and the won deals whose close date came into the nights since, through
-- the enriched deals' indexes; the engine first removes the deals rewritten and those gone from staging,
-- so a deal reopened, lost or deleted leaves (macros/incremental/keys_to_rewrite.sql). Indexed on loaded_through:
-- its last build's night is read three times a night.
-- depends_on: {{ ref('stg_crm__opportunities') }} (the engine reads the deletions from staging)
{%- set since = last_built_night() %}
{{
    config(
        materialized='incremental',
        unique_key='opportunity_id',
        incremental_engine={
            'strategy': 'by_key', 'follows': 'int_opportunities_enriched',
            'removes_gone_from': 'stg_crm__opportunities',
        },
        indexes=[{'columns': ['opportunity_id']}, {'columns': ['loaded_through']}],
    )
}}

with

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
    where
        is_won and closed_date is not null and closed_date <= {{ night() }}
        {% if is_incremental() -%}
            and (loaded_through > {{ since }} or closed_date > {{ since }})
        {%- endif %}
),

credited as (
    select
        cast(opportunity_id as text) as opportunity_id,
        cast(employee_id as text) as employee_id,
        cast(owner_user_id as text) as owner_user_id,
        cast(opportunity_type as text) as opportunity_type,
        cast(segment as text) as segment,
        cast(region as text) as region,
        cast(closed_date as date) as closed_date,
        amount,
        cast(currency as text) as currency,
        amount_usd,
        cast({{ night() }} as date) as loaded_through
    from opportunities
)

select * from credited
