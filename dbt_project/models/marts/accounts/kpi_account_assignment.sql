-- Account assignment per account owner (HR employee) on the night: accounts owned, those outside the
-- owner's HR territory, and the owner's open pipeline. Owners with no HR match are grouped as 'unknown'.
with

accounts as (
    select * from {{ ref('dim_accounts') }}
),

pipeline as (
    select * from {{ ref('fct_pipeline_daily') }}
    where snapshot_date = {{ night() }}
),

owned as (
    select
        coalesce(owner_employee_id, 'unknown') as employee_id,
        count(*) as accounts_owned,
        sum(case when is_in_owner_territory then 0 else 1 end) as accounts_outside_territory
    from accounts
    group by coalesce(owner_employee_id, 'unknown')
),

open_pipeline as (
    select
        coalesce(employee_id, 'unknown') as employee_id,
        count(*) as open_opportunities,
        coalesce(sum(amount_usd), 0) as open_pipeline_usd
    from pipeline
    group by coalesce(employee_id, 'unknown')
),

final as (
    select
        cast({{ night() }} as date) as snapshot_date,
        cast(coalesce(owned.employee_id, open_pipeline.employee_id) as text) as employee_id,
        cast(coalesce(owned.accounts_owned, 0) as integer) as accounts_owned,
        cast(coalesce(owned.accounts_outside_territory, 0) as integer) as accounts_outside_territory,
        cast(coalesce(open_pipeline.open_opportunities, 0) as integer) as open_opportunities,
        cast(coalesce(open_pipeline.open_pipeline_usd, 0) as numeric(18, 2)) as open_pipeline_usd
    from owned
    full outer join open_pipeline
        on owned.employee_id = open_pipeline.employee_id
)

select * from final
