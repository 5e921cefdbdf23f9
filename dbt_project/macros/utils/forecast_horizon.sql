{#- Where a forecast stands against its period (as SQL text): '<period type>+<periods ahead> d<days>', the days
    being how far the as-of day is into its own period of that type, to the nearest 15 (a quarter's first day
    'quarter+0 d0', 30 days before its end 'quarter+0 d60' whatever the quarter's length, a month's 15th
    'month+0 d15'). Forecasts of one horizon are judged by the errors of earlier forecasts of the same horizon. -#}
{% macro forecast_horizon(as_of_date, period_type, period_start) -%}
    (
        {{ period_type }} || '+' || cast(
            (
                (extract(year from {{ period_start }}) - extract(year from date_trunc({{ period_type }}, {{ as_of_date }})))
                * 12
                + extract(month from {{ period_start }}) - extract(month from date_trunc({{ period_type }}, {{ as_of_date }}))
            ) / {{ period_months(period_type) }} as integer
        )
        || ' d' || cast(15 * round(({{ as_of_date }} - cast(date_trunc({{ period_type }}, {{ as_of_date }}) as date))
                                   / 15.0) as integer)
    )
{%- endmacro %}
