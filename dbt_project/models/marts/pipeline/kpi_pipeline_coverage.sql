-- Pipeline coverage of the periods holding the night (its month and its quarter), company-wide and
-- per quota-carrying rep: open pipeline closing in the period / (quota - bookings so far). Deals
-- still open past their close date count in the period of that date. Incremental per snapshot.
-- Indexed on snapshot_date: the table gains a snapshot a night, and delete+insert, the catch-up from
-- the published copy, the night's tests and the quality gate each read one snapshot.
{{
    config(
        materialized='incremental',
        unique_key='snapshot_date',
        incremental_engine={'strategy': 'by_slice'},
        indexes=[{'columns': ['snapshot_date']}],
    )
}}

with

quota_periods as (
    select * from {{ ref('int_quota_periods') }}
    where period_start <= {{ night() }} and period_end >= {{ night() }}
),

bookings as (
    select * from {{ ref('int_bookings_credited') }}
    where employee_id is not null
),

pipeline as (
    select * from {{ ref('fct_pipeline_daily') }}
    where snapshot_date = {{ night() }} and employee_id is not null
),

bookings_so_far as (
    select
        quota_periods.employee_id,
        quota_periods.period_type,
        quota_periods.period_start,
        sum(bookings.amount_usd) as bookings_usd
    from quota_periods
    inner join bookings
        on
            quota_periods.employee_id = bookings.employee_id
            and bookings.closed_date between quota_periods.period_start and {{ night() }}
    group by quota_periods.employee_id, quota_periods.period_type, quota_periods.period_start
),

pipeline_in_period as (
    select
        quota_periods.employee_id,
        quota_periods.period_type,
        quota_periods.period_start,
        sum(pipeline.amount_usd) as open_pipeline_usd
    from quota_periods
    inner join pipeline
        on
            quota_periods.employee_id = pipeline.employee_id
            and pipeline.expected_close_date between quota_periods.period_start and quota_periods.period_end
    group by quota_periods.employee_id, quota_periods.period_type, quota_periods.period_start
),

rep_periods as (
    select
        quota_periods.employee_id,
        quota_periods.period_type,
        quota_periods.period_start,
        quota_periods.quota_usd,
        coalesce(bookings_so_far.bookings_usd, 0) as bookings_usd,
        coalesce(pipeline_in_period.open_pipeline_usd, 0) as open_pipeline_usd
    from quota_periods
    left join bookings_so_far using (employee_id, period_type, period_start)
    left join pipeline_in_period using (employee_id, period_type, period_start)
),

scopes as (
    select
        'rep' as scope_type,
        employee_id as scope_id,
        period_type,
        period_start,
        quota_usd,
        bookings_usd,
        open_pipeline_usd
    from rep_periods
    union all
    select
        'company' as scope_type,
        'all' as scope_id,
        period_type,
        period_start,
        sum(quota_usd) as quota_usd,
        sum(bookings_usd) as bookings_usd,
        sum(open_pipeline_usd) as open_pipeline_usd
    from rep_periods
    group by period_type, period_start
),

final as (
    select
        cast({{ night() }} as date) as snapshot_date,
        cast(scope_type as text) as scope_type,
        cast(scope_id as text) as scope_id,
        cast(period_type as text) as period_type,
        cast(period_start as date) as period_start,
        cast(round(quota_usd, 2) as numeric(18, 2)) as quota_usd,
        cast(round(bookings_usd, 2) as numeric(18, 2)) as bookings_usd,
        cast(round(greatest(quota_usd - bookings_usd, 0), 2) as numeric(18, 2)) as remaining_quota_usd,
        cast(round(open_pipeline_usd, 2) as numeric(18, 2)) as open_pipeline_usd,
        cast(
            round({{ safe_divide('open_pipeline_usd', 'greatest(quota_usd - bookings_usd, 0)') }}, 4)
            as numeric(12, 4)
        ) as coverage_ratio
    from scopes
)

select * from final
{{ published_rows_since('snapshot_date') }}
