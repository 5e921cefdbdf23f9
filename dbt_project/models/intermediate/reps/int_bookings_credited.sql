-- Closed-won deals up to the night, in USD at the rate of the close date, credited to the
-- HR employee behind the opportunity owner at close.
with

opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
    where is_won and closed_date is not null and closed_date <= {{ night() }}
),

credited as (
    select
        opportunity_id,
        employee_id,
        owner_user_id,
        opportunity_type,
        segment,
        region,
        closed_date,
        amount,
        currency,
        amount_usd,
        loaded_through
    from opportunities
)

select * from credited
