{#- A SQL snapshot rather than a YAML one (which takes a whole relation): a night hands dbt only the
    staged versions from batches newer than the snapshot's own newest, instead of all 1M live deals for
    dbt to compare (10 s a night at --scale 1). Staging keeps every key it ever saw (soft deletes are
    flagged, not dropped), so a key missing from the night's rows is unchanged, never deleted: hard
    deletes are not looked for. -#}
{% snapshot opportunities_snapshot %}
    {{
        config(
            schema='snapshots',
            unique_key='opportunity_id',
            strategy='timestamp',
            updated_at='updated_at',
            hard_deletes='ignore',
        )
    }}

    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier)
        if execute else none %}

    select * from {{ ref('stg_crm__opportunities') }}
    {% if existing is not none -%}
        where _batch_id > (select coalesce(max(snapshotted._batch_id), '') from {{ this }} as snapshotted)
    {%- endif %}
{% endsnapshot %}
