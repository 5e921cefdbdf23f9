-- Closed-won deals up to the night, in USD at the rate of the close date, credited to the
-- HR employee behind the opportunity owner at close.
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where stage = 'closed_won' and closed_at is not null
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

credited as (
    select
        opportunities.opportunity_id,
        identities.employee_id,
        opportunities.owner_user_id,
        opportunities.opportunity_type,
        cast(opportunities.closed_at as date) as closed_date,
        opportunities.amount,
        opportunities.currency,
        opportunities.amount * fx_rates.rate_to_usd as amount_usd
    from opportunities
    left join identities
        on opportunities.owner_user_id = identities.user_id
    left join fx_rates
        on
            opportunities.currency = fx_rates.currency
            and cast(opportunities.closed_at as date) = fx_rates.rate_date
    where cast(opportunities.closed_at as date) <= {{ night() }}
)

select * from credited
