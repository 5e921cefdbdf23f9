-- Every version of every account loaded up to the night (one per account and updated_at: the copy of the
-- first batch that delivered it), with that batch: an account's segment, region and country as an earlier
-- extract showed them (the deals stamped at close read them: SPEC, owner at close).
with

source as (
    select distinct on (account_id, updated_at) *
    from {{ source('crm', 'accounts') }}
    where _batch_id <= cast({{ night() }} as text)
    order by account_id asc, updated_at asc, _batch_id asc, _line_number desc
),

renamed as (
    select
        account_id,
        segment,
        region,
        country,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        _batch_id
    from source
)

select * from renamed
