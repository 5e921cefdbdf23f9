{#- The relations holding this model's earlier rows that carry `column` (its own copy on an incremental build,
    and the published one): what a model that learns from its own history reads it from. -#}
{% macro published_relation_with_column(column) -%}
    {%- set found = [] -%}
    {%- if execute and this is not none -%}
        {%- set candidates = [adapter.get_relation(database=this.database, schema=var('published_schema'),
                                                   identifier=this.identifier)] -%}
        {%- if is_incremental() -%}
            {%- do candidates.append(this) -%}
        {%- endif -%}
        {%- for relation in candidates if relation is not none -%}
            {%- if column in adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
                {%- do found.append(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}
