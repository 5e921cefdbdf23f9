-- The days a night forecasts as of: the night itself and, from a backfill's first day, every day before
-- the night that forecast accuracy measures against (SPEC: forecast accuracy): each month's and quarter's
-- first day, each month's 15th, and 30 days before each quarter's end. The backfill starts at
-- `forecast_backfill_from` when set, and on a warehouse's first night 8 closed quarters back, so accuracy
-- is there from day one (macros/utils/forecast_backfill_start.sql). Each as-of day is rebuilt from the history
-- as it stood that day.
with

bounds as (
    select
        {{ forecast_backfill_start() }} as first_day,
        {{ night() }} as last_day
),

months as (
    select cast(month_start as date) as month_start
    from bounds
    cross join lateral generate_series(
        cast({{ dbt.date_trunc('month', 'first_day') }} as date), last_day, interval '1 month'
    ) as month_start
),

horizons as (
    select
        months.month_start as as_of_date,
        'period_start' as horizon
    from months
    union all
    select
        cast({{ dbt.dateadd('day', 14, 'months.month_start') }} as date) as as_of_date,
        'mid_month' as horizon
    from months
    union all
    select
        cast({{ dbt.dateadd('day', -31, dbt.dateadd('month', 3, 'months.month_start')) }} as date) as as_of_date,
        '30d_before_end' as horizon
    from months
    where months.month_start = cast({{ dbt.date_trunc('quarter', 'months.month_start') }} as date)
),

as_of_dates as (
    select distinct horizons.as_of_date
    from horizons
    cross join bounds
    where horizons.as_of_date between bounds.first_day and bounds.last_day
    union
    select last_day as as_of_date from bounds
)

select * from as_of_dates
