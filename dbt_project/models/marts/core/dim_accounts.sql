-- One row per live account as of the night, with its owner, whether the owner is an active employee,
-- its territory (the one covering its region and segment) and whether the owner is assigned to it on
-- the night (a rep may hold several territories at once).
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

territories as (
    select * from {{ ref('dim_territories') }}
),

assignments as (
    select * from {{ ref('dim_rep_territories') }}
    where is_current
),

covering_territories as (
    -- an account's territory covers its region and segment (the lowest id, should two)
    select
        region,
        segment,
        min(territory_id) as territory_id
    from territories
    group by region, segment
),

owners_assigned as (
    -- owners currently assigned to a territory: a rep may hold several at once
    select distinct
        employee_id,
        territory_id
    from assignments
),

final as (
    select
        cast(accounts.account_id as text) as account_id,
        cast(accounts.account_name as text) as account_name,
        cast({{ normalized_company_name('accounts.account_name') }} as text) as account_name_normalized,
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
        cast(covering_territories.territory_id as text) as territory_id,
        cast(owners_assigned.territory_id is not null as boolean) as is_in_owner_territory,
        cast(accounts.created_at as timestamp) as created_at
    from accounts
    left join identities
        on accounts.owner_user_id = identities.user_id
    left join reps
        on identities.employee_id = reps.employee_id
    left join covering_territories
        on accounts.region = covering_territories.region and accounts.segment = covering_territories.segment
    left join owners_assigned
        on
            identities.employee_id = owners_assigned.employee_id
            and covering_territories.territory_id = owners_assigned.territory_id
)

select * from final
