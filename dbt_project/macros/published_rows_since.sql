{#- `union all` the rows of this model's published copy dated after this build's own copy and before
    the night (nothing on a full build, or when nothing is published yet).

    Write-audit-publish recycles the previous-but-one published schema as the build schema, so an
    incremental model that keeps one slice per night (a daily snapshot) finds the nights published
    since its copy was made in the published schema: they are carried over, never recomputed from
    today's data. -#}
{% macro published_rows_since(date_column) -%}
    {%- if is_incremental() -%}
        {%- set published = adapter.get_relation(database=this.database, schema=var('published_schema'),
                                                 identifier=this.identifier) -%}
        {%- if published is not none and published.schema != this.schema %}
union all
select * from {{ published }}
where
    {{ date_column }} > (select coalesce(max({{ date_column }}), cast('1900-01-01' as date)) from {{ this }})
    and {{ date_column }} < {{ night() }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
