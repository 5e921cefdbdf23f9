-- Territory performance per territory and period (month and quarter): reps assigned during the
-- period, and their bookings (deals credited to a rep while assigned to the territory), quota and
-- attainment; accounts owned and open pipeline on the night for the current periods.
with

assignments as (
    select * from {{ ref('dim_rep_territories') }}
),

quota_periods as (
    select * from {{ ref('int_quota_periods') }}
),

bookings as (
    select * from {{ ref('int_bookings_credited') }}
    where employee_id is not null
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

pipeline as (
    select * from {{ ref('fct_pipeline_daily') }}
    where snapshot_date = {{ night() }}
),

rep_periods as (
    -- a rep counts in a territory for a period when an assignment overlaps it; the period's quota
    -- goes to the territory the rep was in on its first day in the period
    select distinct on (quota_periods.employee_id, quota_periods.period_type, quota_periods.period_start)
        assignments.territory_id,
        quota_periods.employee_id,
        quota_periods.period_type,
        quota_periods.period_start,
        quota_periods.period_end,
        quota_periods.quota_usd
    from quota_periods
    inner join assignments
        on
            quota_periods.employee_id = assignments.employee_id
            and quota_periods.period_end >= assignments.effective_from
            and (assignments.effective_to is null or quota_periods.period_start <= assignments.effective_to)
    order by
        quota_periods.employee_id asc, quota_periods.period_type asc, quota_periods.period_start asc,
        assignments.effective_from asc
),

bookings_in_territories as (
    select
        assignments.territory_id,
        period_types.period_type,
        {{ period_start('period_types.period_type', 'bookings.closed_date') }} as period_start,
        bookings.amount_usd
    from bookings
    inner join assignments
        on
            bookings.employee_id = assignments.employee_id
            and bookings.closed_date >= assignments.effective_from
            and (assignments.effective_to is null or bookings.closed_date <= assignments.effective_to)
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

territory_quotas as (
    select
        territory_id,
        period_type,
        period_start,
        count(distinct employee_id) as reps,
        sum(quota_usd) as quota_usd
    from rep_periods
    group by territory_id, period_type, period_start
),

current_territory_accounts as (
    select
        owner_territory_id as territory_id,
        count(*) as accounts_owned
    from accounts
    where owner_territory_id is not null
    group by owner_territory_id
),

current_territory_pipeline as (
    select
        assignments.territory_id,
        sum(pipeline.amount_usd) as open_pipeline_usd
    from pipeline
    inner join assignments
        on pipeline.employee_id = assignments.employee_id and assignments.is_current
    group by assignments.territory_id
),

final as (
    select
        cast(territory_quotas.territory_id as text) as territory_id,
        cast(territory_quotas.period_type as text) as period_type,
        cast(territory_quotas.period_start as date) as period_start,
        cast(territory_quotas.reps as integer) as reps,
        cast(round(coalesce(territory_bookings.bookings_usd, 0), 2) as numeric(18, 2)) as bookings_usd,
        cast(round(territory_quotas.quota_usd, 2) as numeric(18, 2)) as quota_usd,
        cast(
            round({{ safe_divide('coalesce(territory_bookings.bookings_usd, 0)', 'territory_quotas.quota_usd') }}, 6)
            as numeric(12, 6)
        ) as attainment,
        cast(
            case
                when territory_quotas.period_start = {{ period_start('territory_quotas.period_type', night()) }}
                    then coalesce(current_territory_accounts.accounts_owned, 0)
            end as integer
        ) as accounts_owned,
        cast(
            case
                when territory_quotas.period_start = {{ period_start('territory_quotas.period_type', night()) }}
                    then round(coalesce(current_territory_pipeline.open_pipeline_usd, 0), 2)
            end as numeric(18, 2)
        ) as open_pipeline_usd
    from territory_quotas
    left join territory_bookings
        on
            territory_quotas.territory_id = territory_bookings.territory_id
            and territory_quotas.period_type = territory_bookings.period_type
            and territory_quotas.period_start = territory_bookings.period_start
    left join current_territory_accounts
        on territory_quotas.territory_id = current_territory_accounts.territory_id
    left join current_territory_pipeline
        on territory_quotas.territory_id = current_territory_pipeline.territory_id
)

select * from final
