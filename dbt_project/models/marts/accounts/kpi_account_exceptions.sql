-- Accounts needing reassignment on the night: no active owner (unmatched or departed), or an owner
-- whose HR territory does not cover the account's region and segment. One row per account and issue.
with

accounts as (
    select * from {{ ref('dim_accounts') }}
),

exceptions as (
    select
        account_id,
        owner_user_id,
        owner_employee_id,
        region,
        segment,
        'no_active_owner' as exception_type
    from accounts
    where not has_active_owner
    union all
    select
        account_id,
        owner_user_id,
        owner_employee_id,
        region,
        segment,
        'owner_outside_territory' as exception_type
    from accounts
    where has_active_owner and not is_in_owner_territory
),

final as (
    select
        cast({{ night() }} as date) as snapshot_date,
        cast(account_id as text) as account_id,
        cast(exception_type as text) as exception_type,
        cast(owner_user_id as text) as owner_user_id,
        cast(owner_employee_id as text) as owner_employee_id,
        cast(region as text) as region,
        cast(segment as text) as segment
    from exceptions
)

select * from final
