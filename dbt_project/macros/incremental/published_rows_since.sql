{#- `union all` the rows of this model's published copy for nights this build cannot recompute:
    those before the night and after this build's own copy (all of them on a full build).

    Write-audit-publish recycles the previous-but-one published schema as the build schema, so an
    incremental model that keeps one slice per night (a daily snapshot) finds the nights published
    since its copy was made in the published schema: they are carried over, never recomputed from
    today's data. A full refresh carries every published night over the same way. Nothing is carried
    when the published copy lacks one of the model's documented columns (say after a change of the
    model): its history then starts again, and a warning says so. With fill_gaps, every published slice
    this copy lacks is carried, not only the later ones (a backfill adds slices older than the newest). -#}
{% macro published_rows_since(date_column, fill_gaps=false) -%}
    {%- if execute and this is not none -%}  {#- unit tests render the model without a relation -#}
        {%- set published = adapter.get_relation(database=this.database, schema=var('published_schema'),
                                                 identifier=this.identifier) -%}
        {%- if published is not none and published.schema != this.schema -%}
            {%- set wanted = model.columns.keys() | list -%}
            {%- set have = adapter.get_columns_in_relation(published) | map(attribute='name') | list -%}
            {%- set missing = wanted | reject('in', have) | list -%}
            {%- if missing -%}
                {{ log("WARNING: " ~ this.identifier ~ ": published copy lacks " ~ missing | join(', ')
                       ~ "; its earlier nights are not carried over", info=True) }}
            {%- else %}
union all
select {{ wanted | join(', ') }} from {{ published }}
where
    {{ date_column }} < {{ night() }}
    {%- if is_incremental() and fill_gaps %}
    and {{ date_column }} in (
        select published_slices.{{ date_column }} from {{ published }} as published_slices
        except
        select own_slices.{{ date_column }} from {{ this }} as own_slices
    )
    {%- elif is_incremental() %}
    and {{ date_column }} > (select coalesce(max({{ date_column }}), cast('1900-01-01' as date)) from {{ this }})
    {%- endif %}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
