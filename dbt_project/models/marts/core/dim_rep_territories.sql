-- Territory over time: one row per rep and assignment (HR), with the days it was in force.
with

assignments as (
    select * from {{ ref('stg_hr__territory_assignments') }}
    where effective_from <= {{ night() }}
),

final as (
    select
        cast(employee_id as text) as employee_id,
        cast(territory_id as text) as territory_id,
        cast(territory_name as text) as territory_name,
        cast(region as text) as region,
        cast(segment as text) as segment,
        cast(effective_from as date) as effective_from,
        cast(effective_to as date) as effective_to,
        cast(effective_to is null or effective_to >= {{ night() }} as boolean) as is_current
    from assignments
)

select * from final
