-- One row per calendar day from the first quarter with data to the end of the year after the night:
-- the calendar BI joins on (week, month, quarter and year starts).
with

bounds as (
    select
        cast({{ dbt.date_trunc('year', dbt.dateadd('year', -4, night())) }} as date) as first_day,
        cast({{ dbt.dateadd('day', -1, dbt.date_trunc('year', dbt.dateadd('year', 2, night()))) }} as date) as last_day
),

days as (
    select cast(calendar_day as date) as date_day
    from bounds
    cross join lateral generate_series(first_day, last_day, interval '1 day') as calendar_day
),

final as (
    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week,
        cast(extract(isodow from date_day) in (6, 7) as boolean) as is_weekend,
        cast(date_day <= {{ night() }} as boolean) as is_past_or_night
    from days
)

select * from final
