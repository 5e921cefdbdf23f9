-- One row per live account as of the night, with its owner, whether the owner is an active employee,
-- and whether the owner's HR territory on the night covers the account's region and segment.
with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where not is_deleted and cast(created_at as date) <= {{ night() }}
),

identities as (
    select * from {{ ref('int_rep_identities_matched') }}
),

reps as (
    select * from {{ ref('dim_reps') }}
),

final as (
    select
        cast(accounts.account_id as text) as account_id,
        cast(accounts.account_name as text) as account_name,
        cast(lower(trim(accounts.account_name)) as text) as account_name_normalized,
        cast(accounts.industry as text) as industry,
        cast(accounts.segment as text) as segment,
        cast(accounts.country as text) as country,
        cast(accounts.region as text) as region,
        cast(accounts.annual_revenue as numeric(18, 2)) as annual_revenue,
        cast(accounts.employee_count as integer) as employee_count,
        cast(accounts.owner_user_id as text) as owner_user_id,
        cast(identities.employee_id as text) as owner_employee_id,
        cast(coalesce(reps.is_active, false) as boolean) as has_active_owner,
        cast(reps.territory_id as text) as owner_territory_id,
        cast(
            reps.territory_id is not null
            and reps.territory_region = accounts.region
            and reps.territory_segment = accounts.segment
            as boolean
        ) as is_in_owner_territory,
        cast(accounts.created_at as timestamp) as created_at
    from accounts
    left join identities
        on accounts.owner_user_id = identities.user_id
    left join reps
        on identities.employee_id = reps.employee_id
)

select * from final
