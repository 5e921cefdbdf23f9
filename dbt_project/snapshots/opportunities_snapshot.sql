{#- A SQL snapshot rather than a YAML one (which takes a whole relation): a night hands dbt only the
    staged versions from batches newer than the snapshot's own newest, instead of every live deal for
    dbt to compare. Staging keeps every key it ever saw (soft deletes are
    flagged, not dropped), so a key missing from the night's rows is unchanged, never deleted: hard
    deletes are not looked for. dbt compares them with the current versions of those deals only
    (macros/incremental/snapshot_staging_table.sql), found through the index on the current versions' keys; the
    index on dbt_scd_id is the one dbt's merge closes the replaced versions by; the one on _batch_id
    finds the newest batch snapshotted; the one on closed versions' keys finds a deal's first closed
    version (int_opportunities_enriched stamps owner and account at close from it). -#}
{% snapshot opportunities_snapshot %}
    {{
        config(
            schema='snapshots',
            unique_key='opportunity_id',
            strategy='timestamp',
            updated_at='updated_at',
            hard_deletes='ignore',
            stage_delivered_keys_only=true,
            post_hook=[
                'create index if not exists {{ this.identifier }}_current_key on {{ this }} (opportunity_id)'
                ~ ' where dbt_valid_to is null',
                'create index if not exists {{ this.identifier }}_scd_id on {{ this }} (dbt_scd_id)',
                'create index if not exists {{ this.identifier }}_closed on {{ this }} (opportunity_id)'
                ~ " where stage in ('closed_won', 'closed_lost')",
                'create index if not exists {{ this.identifier }}_batch on {{ this }} (_batch_id)',
            ],
        )
    }}

    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier)
        if execute else none %}
    {#- the newest batch snapshotted, read now (through the index on _batch_id) and written in as a literal:
        given a subquery, Postgres guessed a third of the staged deals were newer and hashed every current
        version to compare them -#}
    {%- set newest = run_query('select coalesce(max(_batch_id), \'\') from ' ~ this).columns[0].values()[0]
        if existing is not none else none %}

    select * from {{ ref('stg_crm__opportunities') }}
    {% if newest is not none -%}
        where _batch_id > '{{ newest }}'
    {%- endif %}
{% endsnapshot %}
