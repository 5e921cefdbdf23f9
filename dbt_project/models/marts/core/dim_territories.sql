-- One row per sales territory (HR), with its region, segment and the reps assigned on the night.
with

assignments as (
    select * from {{ ref('dim_rep_territories') }}
),

territories as (
    select
        territory_id,
        max(territory_name) as territory_name,
        max(region) as region,
        max(segment) as segment,
        count(distinct case when is_current then employee_id end) as current_reps
    from assignments
    group by territory_id
),

final as (
    select
        {{ contract_casts(none, ['territory_id', 'territory_name', 'region', 'segment', 'current_reps']) }}
    from territories
)

select * from final
