{#- Every month from `since` to the night's month, with the day it is measured on: its last day, or
    the night for the current month. `calendar` is dim_date. -#}
{% macro months_to_night(calendar, since) -%}
    select distinct
        month_start,
        least(cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date), {{ night() }})
            as measured_on
    from {{ calendar }}
    where
        month_start <= {{ night() }}
        and month_start >= {{ since }}
{%- endmacro %}
