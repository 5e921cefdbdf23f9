-- Territory over time: one row per rep and assignment (HR), with the days it was in force.
with

assignments as (
    select * from {{ ref('stg_hr__territory_assignments') }}
    where effective_from <= {{ night() }}
),

final as (
    select
        {{ contract_casts(none, ['employee_id', 'territory_id', 'territory_name', 'region', 'segment',
                                 'effective_from', 'effective_to']) }},
        cast(effective_to is null or effective_to >= {{ night() }} as boolean) as is_current
    from assignments
)

select * from final
