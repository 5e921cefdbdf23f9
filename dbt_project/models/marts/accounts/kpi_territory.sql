-- Territory performance per territory and period (month and quarter), SPEC: territory. Bookings go to
-- the territory covering the deal's account (its region and segment, as the deal's bookings carry them);
-- a rep's quota for a period is split over the territories the rep was assigned during it, by days
-- assigned (a rep may hold several at once); reps are those with a quota share in the territory.
-- Accounts in the territory and their open pipeline on the night, for the current periods.
with

assignments as (
    select * from {{ ref('dim_rep_territories') }}
),

territories as (
    select * from {{ ref('dim_territories') }}
),

quota_periods as (
    select * from {{ ref('int_quota_periods') }}
),

bookings as (
    select * from {{ ref('int_bookings_credited') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

pipeline as (
    select * from {{ ref('fct_pipeline_daily') }}
    where snapshot_date = {{ night() }}
),

covering_territories as (
    -- the territory of an account is the one covering its region and segment (the lowest id, should two)
    select
        region,
        segment,
        min(territory_id) as territory_id
    from territories
    group by region, segment
),

days_assigned as (
    select
        quota_periods.employee_id,
        quota_periods.period_type,
        quota_periods.period_start,
        quota_periods.quota_usd,
        assignments.territory_id,
        sum(
            least(quota_periods.period_end, coalesce(assignments.effective_to, quota_periods.period_end))
            - greatest(quota_periods.period_start, assignments.effective_from) + 1
        ) as days_in_territory
    from quota_periods
    inner join assignments
        on
            quota_periods.employee_id = assignments.employee_id
            and quota_periods.period_end >= assignments.effective_from
            and (assignments.effective_to is null or quota_periods.period_start <= assignments.effective_to)
    group by
        quota_periods.employee_id, quota_periods.period_type, quota_periods.period_start, quota_periods.quota_usd,
        assignments.territory_id
),

quota_shares as (
    select
        territory_id,
        employee_id,
        period_type,
        period_start,
        quota_usd * days_in_territory
        / sum(days_in_territory) over (partition by employee_id, period_type, period_start) as quota_usd
    from days_assigned
),

territory_quotas as (
    select
        territory_id,
        period_type,
        period_start,
        count(distinct employee_id) as reps,
        sum(quota_usd) as quota_usd
    from quota_shares
    group by territory_id, period_type, period_start
),

bookings_in_territories as (
    select
        covering_territories.territory_id,
        period_types.period_type,
        {{ period_start('period_types.period_type', 'bookings.closed_date') }} as period_start,
        bookings.amount_usd
    from bookings
    inner join covering_territories
        on bookings.region = covering_territories.region and bookings.segment = covering_territories.segment
    cross join {{ period_types() }} as period_types
),

territory_bookings as (
    select
        territory_id,
        period_type,
        period_start,
        sum(amount_usd) as bookings_usd
    from bookings_in_territories
    group by territory_id, period_type, period_start
),

territory_periods as (
    select
        territory_id,
        period_type,
        period_start
    from territory_quotas
    union
    select
        territory_id,
        period_type,
        period_start
    from territory_bookings
),

current_territory_accounts as (
    select
        covering_territories.territory_id,
        count(*) as accounts_owned
    from accounts
    inner join covering_territories
        on accounts.region = covering_territories.region and accounts.segment = covering_territories.segment
    group by covering_territories.territory_id
),

current_territory_pipeline as (
    select
        covering_territories.territory_id,
        sum(pipeline.amount_usd) as open_pipeline_usd
    from pipeline
    inner join covering_territories
        on pipeline.region = covering_territories.region and pipeline.segment = covering_territories.segment
    group by covering_territories.territory_id
),

final as (
    select
        cast(territory_periods.territory_id as text) as territory_id,
        cast(territory_periods.period_type as text) as period_type,
        cast(territory_periods.period_start as date) as period_start,
        cast(coalesce(territory_quotas.reps, 0) as integer) as reps,
        cast(round(coalesce(territory_bookings.bookings_usd, 0), 2) as numeric(18, 2)) as bookings_usd,
        cast(round(coalesce(territory_quotas.quota_usd, 0), 2) as numeric(18, 2)) as quota_usd,
        cast(
            round({{ safe_divide('coalesce(territory_bookings.bookings_usd, 0)', 'territory_quotas.quota_usd') }}, 6)
            as numeric(12, 6)
        ) as attainment,
        cast(
            case
                when territory_periods.period_start = {{ period_start('territory_periods.period_type', night()) }}
                    then coalesce(current_territory_accounts.accounts_owned, 0)
            end as integer
        ) as accounts_owned,
        cast(
            case
                when territory_periods.period_start = {{ period_start('territory_periods.period_type', night()) }}
                    then round(coalesce(current_territory_pipeline.open_pipeline_usd, 0), 2)
            end as numeric(18, 2)
        ) as open_pipeline_usd
    from territory_periods
    left join territory_quotas using (territory_id, period_type, period_start)
    left join territory_bookings using (territory_id, period_type, period_start)
    left join current_territory_accounts
        on territory_periods.territory_id = current_territory_accounts.territory_id
    left join current_territory_pipeline
        on territory_periods.territory_id = current_territory_pipeline.territory_id
)

select * from final
