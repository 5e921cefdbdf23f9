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
        cast(territory_id as text) as territory_id,
        cast(territory_name as text) as territory_name,
        cast(region as text) as region,
        cast(segment as text) as segment,
        cast(current_reps as integer) as current_reps
    from territories
)

select * from final
