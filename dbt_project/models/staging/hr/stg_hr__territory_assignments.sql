with

source as (
    {{ latest_batch_rows(
        source('hr', 'territory_assignments'),
        ['employee_id', 'territory_id', 'effective_from'],
        order_by='_batch_id',
    ) }}
),

renamed as (
    select
        employee_id,
        territory_id,
        territory_name,
        region,
        segment,
        cast(nullif(trim(effective_from), '') as date) as effective_from,
        cast(nullif(trim(effective_to), '') as date) as effective_to
    from source
)

select * from renamed
