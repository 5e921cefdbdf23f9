-- The two pipeline forecasts, as of each forecast day (int_forecast_as_of_dates), for every month and
-- quarter from the as-of day's period through the next four quarters, company-wide and per segment and
-- region: bookings won so far in the period + the expected value of the deals open that day closing in
-- it (a deal already past its close date is expected on the as-of day) + the bookings expected from deals
-- not created yet: the mean of what deals created after the same point of the `new_pipeline_analogs`
-- earlier periods booked in them (complete ones only: no forecast before one is). The expected value weighs each
-- deal by its CRM probability (crm_probability) or by its stage's win rate learned from the deals
-- closed in the four complete quarters before (historical_stage_rate; the segment's own rate once it
-- closed `min_closed_deals_for_segment_rate` deals reaching the stage). The 80% interval treats deals
-- as independent wins or losses (expected value +/- 1.2816 standard deviations of sum(amount x outcome)),
-- plus the spread of the earlier periods' new-deal bookings; fct_forecast_snapshots calibrates it.
-- Everything is read as it stood that day: history versions dated on or before it, rates of that day
-- (the closes counted are those before the as-of day's quarter; their deals' accounts are tonight's).
{{ config(materialized='table') }}

with

as_of_dates as (
    select * from {{ ref('int_forecast_as_of_dates') }}
),

versions as not materialized (
    -- not materialised (Postgres): each use's filter reaches the history table below the view's joins,
    -- where a materialised CTE joined every version's deal and account
    select * from {{ ref('int_opportunity_versions') }}
),

won_deals_dated as (
    select * from {{ ref('int_won_deals_dated') }}
),

deals as (
    select * from {{ ref('int_opportunities_enriched') }}
),

won_deals as (
    -- summed per day, creation day, segment and region first: the scopes and periods below only add them
    -- up, where joining every deal with every period was the cost (a deal since deleted keeps no creation day:
    -- counted as created long before)
    select
        won_deals_dated.won_date,
        deals.created_date,
        won_deals_dated.segment,
        won_deals_dated.region,
        sum(won_deals_dated.amount_usd) as amount_usd
    from won_deals_dated
    left join deals
        on won_deals_dated.opportunity_id = deals.opportunity_id
    group by won_deals_dated.won_date, deals.created_date, won_deals_dated.segment, won_deals_dated.region
),

first_closes as (
    select * from {{ ref('int_first_closes') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_daily') }}
),

stages as (
    select * from {{ open_stages() }} as open_stages
),

scope_kinds as (
    select * from {{ forecast_scope_kinds() }} as forecast_scope_kinds
),

periods as (
    select
        as_of_dates.as_of_date,
        'month' as period_type,
        cast(period_start as date) as period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_start')) }} as date) as period_end
    from as_of_dates
    cross join
        lateral generate_series(
            {{ dbt.date_trunc('month', 'as_of_dates.as_of_date') }},
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 12, dbt.date_trunc('quarter', 'as_of_dates.as_of_date'))) }},
            interval '1 month'
        ) as period_start
    union all
    select
        as_of_dates.as_of_date,
        'quarter' as period_type,
        cast(period_start as date) as period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'period_start')) }} as date) as period_end
    from as_of_dates
    cross join lateral generate_series(
        {{ dbt.date_trunc('quarter', 'as_of_dates.as_of_date') }},
        {{ dbt.dateadd('month', 9, dbt.date_trunc('quarter', 'as_of_dates.as_of_date')) }},
        interval '3 month'
    ) as period_start
),

closed_deals as (
    -- each deal's first close and the furthest open stage it had reached (int_first_closes: kept by
    -- deal, not joined with their deals and accounts again every night), counted per close quarter: the
    -- windows below are whole quarters, so each as-of day filters a few hundred counts, not every close
    select
        cast({{ dbt.date_trunc('quarter', 'closed_date') }} as date) as closed_quarter,
        segment,
        is_won,
        furthest_open_stage_order as furthest_stage_order,
        count(*) as deals
    from first_closes
    where
        furthest_open_stage_order is not null
        -- the earliest window's start
        and closed_date >= (
            select {{ dbt.dateadd('month', -12, dbt.date_trunc('quarter', 'min(earliest.as_of_date)')) }}
            from as_of_dates as earliest
        )
    group by closed_quarter, segment, is_won, furthest_stage_order
),

closed_with_reach as (
    -- closed deals per as-of day whose trailing four complete quarters hold their close, by segment,
    -- outcome and furthest open stage (counted before fanning out to the stages reached)
    select
        as_of_dates.as_of_date,
        closed_deals.segment,
        closed_deals.is_won,
        closed_deals.furthest_stage_order,
        sum(closed_deals.deals) as closed_deals
    from as_of_dates
    inner join closed_deals
        on
            closed_deals.closed_quarter
            >= {{ dbt.dateadd('month', -12, dbt.date_trunc('quarter', 'as_of_dates.as_of_date')) }}
            and closed_deals.closed_quarter < {{ dbt.date_trunc('quarter', 'as_of_dates.as_of_date') }}
    group by
        as_of_dates.as_of_date, closed_deals.segment, closed_deals.is_won, closed_deals.furthest_stage_order
),

reached as (
    select
        closed_with_reach.as_of_date,
        closed_with_reach.segment,
        stages.stage,
        closed_with_reach.is_won,
        closed_with_reach.closed_deals
    from closed_with_reach
    inner join stages
        on closed_with_reach.furthest_stage_order >= stages.stage_order
),

company_rates as (
    select
        as_of_date,
        stage,
        sum(closed_deals) as closed_deals,
        {{ safe_divide('sum(case when is_won then closed_deals else 0 end)', 'sum(closed_deals)') }} as win_rate
    from reached
    group by as_of_date, stage
),

segment_rates as (
    select
        as_of_date,
        segment,
        stage,
        sum(closed_deals) as closed_deals,
        {{ safe_divide('sum(case when is_won then closed_deals else 0 end)', 'sum(closed_deals)') }} as win_rate
    from reached
    where segment is not null
    group by as_of_date, segment, stage
),

open_deals as (
    select
        as_of_dates.as_of_date,
        versions.opportunity_id,
        versions.segment,
        versions.region,
        versions.stage,
        versions.amount * fx_rates.rate_to_usd as amount_usd,
        coalesce({{ crm_probability('versions.probability', 'versions.stage') }}, 0) / 100.0 as crm_weight,
        coalesce(
            case
                when segment_rates.closed_deals >= {{ var('min_closed_deals_for_segment_rate') }}
                    then segment_rates.win_rate
            end,
            company_rates.win_rate,
            0
        ) as historical_weight,
        greatest(versions.close_date, as_of_dates.as_of_date) as expected_close_date
    from as_of_dates
    inner join versions
        on
            as_of_dates.as_of_date >= versions.valid_from_date
            and (versions.superseded_date is null or as_of_dates.as_of_date < versions.superseded_date)
            and not versions.is_closed
            -- implied by the line above; it reaches the history table, so only current versions are joined
            -- (through its partial index of the open current versions, and its index on next_changed_at;
            -- a literal day: given a subquery, Postgres overestimated the versions and hashed every deal)
            and (
                versions.next_changed_at is null
                or versions.next_changed_at >= {{ day_after_first(ref('int_forecast_as_of_dates'), 'as_of_date') }}
            )
    left join fx_rates
        on versions.currency = fx_rates.currency and as_of_dates.as_of_date = fx_rates.rate_date
    left join segment_rates using (as_of_date, segment, stage)
    left join company_rates
        on as_of_dates.as_of_date = company_rates.as_of_date and versions.stage = company_rates.stage
),

open_deals_by_month as (
    -- summed per as-of day, segment, region and month of expected close first: the scopes and periods
    -- below only add these up (sums of numerics: the same to the cent in any order), where joining every
    -- deal with every period was the cost
    select
        as_of_date,
        segment,
        region,
        cast({{ dbt.date_trunc('month', 'expected_close_date') }} as date) as close_month,
        sum(amount_usd) as open_pipeline_usd,
        sum(amount_usd * crm_weight) as crm_expected_usd,
        sum(power(amount_usd, 2) * crm_weight * (1 - crm_weight)) as crm_variance,
        sum(amount_usd * historical_weight) as historical_expected_usd,
        sum(power(amount_usd, 2) * historical_weight * (1 - historical_weight)) as historical_variance
    from open_deals
    group by as_of_date, segment, region, close_month
),

open_deal_scopes as (
    select
        open_deals_by_month.*,
        {{ forecast_scope('scope_kinds.scope_kind', 'open_deals_by_month.segment', 'open_deals_by_month.region') }}
            as scope
    from open_deals_by_month
    cross join scope_kinds
),

won_deal_scopes as (
    select
        won_deals.*,
        {{ forecast_scope('scope_kinds.scope_kind', 'won_deals.segment', 'won_deals.region') }} as scope
    from won_deals
    cross join scope_kinds
),

scopes as (
    select distinct scope from won_deal_scopes
    union
    select distinct scope from open_deal_scopes
),

pipeline_by_period as (
    select
        periods.as_of_date,
        periods.period_type,
        periods.period_start,
        open_deal_scopes.scope,
        sum(open_deal_scopes.open_pipeline_usd) as open_pipeline_usd,
        sum(open_deal_scopes.crm_expected_usd) as crm_expected_usd,
        sum(open_deal_scopes.crm_variance) as crm_variance,
        sum(open_deal_scopes.historical_expected_usd) as historical_expected_usd,
        sum(open_deal_scopes.historical_variance) as historical_variance
    from periods
    inner join open_deal_scopes
        on
            periods.as_of_date = open_deal_scopes.as_of_date
            and open_deal_scopes.close_month between periods.period_start and periods.period_end
    group by periods.as_of_date, periods.period_type, periods.period_start, open_deal_scopes.scope
),

bookings_by_period as (
    select
        periods.as_of_date,
        periods.period_type,
        periods.period_start,
        won_deal_scopes.scope,
        sum(won_deal_scopes.amount_usd) as bookings_to_date_usd
    from periods
    inner join won_deal_scopes
        on
            won_deal_scopes.won_date between periods.period_start and least(periods.period_end, periods.as_of_date)
    group by periods.as_of_date, periods.period_type, periods.period_start, won_deal_scopes.scope
),

analog_offsets as (
    select generate_series(1, {{ var('new_pipeline_analogs') }}) as periods_back
),

analogs as (
    -- the same stretch of time 1 to 4 periods earlier, complete by the as-of day: what deals created after
    -- the analog as-of day booked in the analog period is what tonight's pipeline cannot show yet
    select
        periods.as_of_date,
        periods.period_type,
        periods.period_start,
        analog_offsets.periods_back,
        cast({{ dbt.dateadd('month', period_months('periods.period_type') ~ ' * -analog_offsets.periods_back',
                            'periods.as_of_date') }} as date) as analog_as_of_date,
        cast({{ dbt.dateadd('month', period_months('periods.period_type') ~ ' * -analog_offsets.periods_back',
                            'periods.period_start') }} as date) as analog_start,
        cast({{ dbt.dateadd('month', period_months('periods.period_type') ~ ' * -analog_offsets.periods_back',
                            'periods.period_end') }} as date) as analog_end
    from periods
    cross join analog_offsets
),

history_start as (
    -- the first day the CRM history covers: an analog period starting earlier is only partly seen
    select min(created_date) as first_day from won_deals
),

complete_analogs as (
    select analogs.* from analogs
    cross join history_start
    where analogs.analog_end < analogs.as_of_date and analogs.analog_start >= history_start.first_day
),

won_by_month as (
    select
        cast({{ dbt.date_trunc('month', 'won_date') }} as date) as won_month,
        created_date,
        segment,
        region,
        sum(amount_usd) as amount_usd
    from won_deals
    group by {{ dbt.date_trunc('month', 'won_date') }}, created_date, segment, region
),

won_by_month_scopes as (
    select
        won_by_month.*,
        {{ forecast_scope('scope_kinds.scope_kind', 'won_by_month.segment', 'won_by_month.region') }} as scope
    from won_by_month
    cross join scope_kinds
),

new_deal_bookings as (
    -- per analog and scope: bookings in the analog period by deals created after the analog as-of day
    select
        complete_analogs.as_of_date,
        complete_analogs.period_type,
        complete_analogs.period_start,
        complete_analogs.periods_back,
        won_by_month_scopes.scope,
        sum(won_by_month_scopes.amount_usd) as new_usd
    from complete_analogs
    inner join won_by_month_scopes
        on
            won_by_month_scopes.won_month between complete_analogs.analog_start and complete_analogs.analog_end
            and complete_analogs.analog_as_of_date < won_by_month_scopes.created_date
    group by
        complete_analogs.as_of_date, complete_analogs.period_type, complete_analogs.period_start,
        complete_analogs.periods_back, won_by_month_scopes.scope
),

new_pipeline as (
    -- the mean of the analogs (zero where one booked nothing new) and their spread
    select
        complete_analogs.as_of_date,
        complete_analogs.period_type,
        complete_analogs.period_start,
        scopes.scope,
        avg(coalesce(new_deal_bookings.new_usd, 0)) as new_expected_usd,
        coalesce(var_samp(coalesce(new_deal_bookings.new_usd, 0)), 0) as new_variance
    from complete_analogs
    cross join scopes
    left join new_deal_bookings using (as_of_date, period_type, period_start, periods_back, scope)
    group by complete_analogs.as_of_date, complete_analogs.period_type, complete_analogs.period_start, scopes.scope
),

combined as (
    select
        periods.as_of_date,
        periods.period_type,
        periods.period_start,
        scopes.scope,
        new_pipeline.new_expected_usd,
        new_pipeline.new_variance,
        coalesce(bookings_by_period.bookings_to_date_usd, 0) as bookings_to_date_usd,
        coalesce(pipeline_by_period.open_pipeline_usd, 0) as open_pipeline_usd,
        coalesce(pipeline_by_period.crm_expected_usd, 0) as crm_expected_usd,
        coalesce(pipeline_by_period.crm_variance, 0) as crm_variance,
        coalesce(pipeline_by_period.historical_expected_usd, 0) as historical_expected_usd,
        coalesce(pipeline_by_period.historical_variance, 0) as historical_variance
    from periods
    cross join scopes
    left join bookings_by_period using (as_of_date, period_type, period_start, scope)
    left join pipeline_by_period using (as_of_date, period_type, period_start, scope)
    -- no forecast without a complete earlier period to learn the deals not created yet from (a history too
    -- short: its first weeks), as the time series needs a year of months
    inner join new_pipeline using (as_of_date, period_type, period_start, scope)
),

methods as (
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        'crm_probability' as method,
        bookings_to_date_usd,
        open_pipeline_usd,
        crm_expected_usd + new_expected_usd as expected_usd,
        sqrt(crm_variance + new_variance) as standard_deviation_usd
    from combined
    union all
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        'historical_stage_rate' as method,
        bookings_to_date_usd,
        open_pipeline_usd,
        historical_expected_usd + new_expected_usd as expected_usd,
        sqrt(historical_variance + new_variance) as standard_deviation_usd
    from combined
),

final as (
    select
        as_of_date,
        period_type,
        period_start,
        scope,
        method,
        bookings_to_date_usd,
        open_pipeline_usd,
        bookings_to_date_usd + expected_usd as forecast_usd,
        bookings_to_date_usd + greatest(expected_usd - 1.2816 * standard_deviation_usd, 0) as lower_usd,
        bookings_to_date_usd + expected_usd + 1.2816 * standard_deviation_usd as upper_usd
    from methods
)

select * from final
