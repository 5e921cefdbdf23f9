{#- KPI tables by period kept incrementally: a night recomputes only the months and quarters its changes
    touch, and keeps the others (SPEC: every period still equals a full rebuild).

    The touched days are `date_column` of the fact's rows that changed since the KPI's last build: the new
    values of the rows rewritten (`loaded_through`) and the old ones of their before-images
    (`intermediate.<fact>__replaced`, see macros/incremental/replaced_rows.sql), for the rows new,
    removed, or whose columns differ; each touched day touches its month and its quarter. A row written
    again unchanged touches nothing: the extract re-delivers old closed deals every night, spread over
    every quarter, which would make every night rebuild all periods. `loaded_through` and `updated_at` are
    not compared: they say when a row was written or edited, and no KPI is computed from them. Everything
    is recomputed instead unless the KPI was built with the fact's previous build and the fact caught up
    tonight (a rerun, an older night, a fact emptied and rebuilt whole, a KPI that missed a night: all
    rebuild whole).

    `counted_when`: what a fact row needs to count in the KPI at all (SQL over `{row}.` columns, e.g.
    `{row}.is_won`): an image that does not count touches nothing. Of the deals a night rewrites, the few
    won ones fall in a few quarters, where all of them together touch nearly every quarter.

    Engine step before the select (by_period) `prepare_periods_to_rebuild(fact, key_column, date_column,
    counted_when)`: works out the periods into a temporary table (hooks and the model's select share one
    session), and deletes them from the KPI table. The model then reads the fact rows of the touched
    quarters (`in_periods_to_rebuild`; given `first_quarter_to_rebuild`, from the earliest one on: a
    literal bound its fact's index on the quarter can use: kpi_stage_duration reads the stays from the
    earliest touched quarter on, not all of them) and keeps its output rows of the touched periods
    (`is_period_to_rebuild`), appended (incremental_strategy 'append'). Given `dimensions`, a KPI by
    dimension value recomputes only the (period, dimension value) groups touched (`dimension_touches`):
    its by_period rows are grouped one dimension at a time, each reading the rows of its touched groups
    (`in_groups_to_rebuild`, macros/utils/by_dimension.sql). -#}
{% macro prepare_periods_to_rebuild(fact, key_column, date_column, counted_when='true', dimensions=none) -%}
    {%- if is_incremental() -%}
        drop table if exists {{ periods_to_rebuild_table() }};
        create temporary table {{ periods_to_rebuild_table() }} as
        with
        {{ touched_days_ctes(fact, key_column, date_column, counted_when, dimensions) }}
        select
            period_types.period_type,
            {{ period_start('period_types.period_type', 'touched_days.day') }} as period_start,
            {%- if dimensions %}
            touched_groups.dimension,
            touched_groups.dimension_value,
            {%- endif %}
            false as everything
        from touched_days
        cross join {{ period_types() }} as period_types
        {%- if dimensions %}
        cross join lateral (
            values
            {%- for dimension in dimensions %}
            ('{{ dimension }}', touched_days.by_{{ dimension }}, touched_days.touches_{{ dimension }})
            {{- ',' if not loop.last }}
            {%- endfor %}
        ) as touched_groups (dimension, dimension_value, touched)
        {%- endif %}
        where touched_days.day is not null{{ ' and touched_groups.touched' if dimensions }}
        union all
        select null, null, {{ 'null, null, ' if dimensions }}everything.rebuild from everything;
        delete from {{ this }}
        where
            (select bool_or(everything) from {{ periods_to_rebuild_table() }})
            {%- if dimensions %}
            or (period_type, period_start, dimension, dimension_value) in (
                select period_type, period_start, dimension, dimension_value from {{ periods_to_rebuild_table() }}
            );
            {%- else %}
            or (period_type, period_start) in (
                select period_type, period_start from {{ periods_to_rebuild_table() }}
            );
            {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- The CTEs `built` (the KPI's last build night), `everything` (rebuild whole?) and `touched_days`,
    shared by the engine step and first_quarter_to_rebuild. -#}
{% macro touched_days_ctes(fact, key_column, date_column, counted_when, dimensions=none) -%}
    {%- set replaced = replaced_rows_relation(fact) -%}
    {%- set replaced_exists = relation_exists_now(replaced) -%}
    {%- set compared = [] -%}
    {%- for column in adapter.get_columns_in_relation(fact)
          if column.name not in ('loaded_through', 'updated_at') -%}
        {%- do compared.append(column.name) -%}
    {%- endfor -%}
        built as (
            select coalesce(max(loaded_through), cast('1900-01-01' as date)) as night from {{ this }}
        ),
        everything as (
            -- unless this KPI was built with the fact's last build, and the fact caught up tonight
            select {{ rebuilds_whole(replaced, replaced_exists, 'built.night') }} as rebuild
            from built
        ),
        touched_days as (
            select
                changed.{{ date_column }} as day
                {{- dimension_touches('changed', 'replaced_rows.replaced_key', 'replaced_rows', compared, dimensions,
                                      replaced_exists) }}
            from {{ fact }} as changed
            {%- if replaced_exists %}
            left join {{ replaced }} as replaced_rows on changed.{{ key_column }} = replaced_rows.replaced_key
            {%- endif %}
            where
                changed.loaded_through > (select built.night from built)
                and ({{ counted_when | replace('{row}', 'changed') }})
                {%- if replaced_exists %}
                and (replaced_rows.replaced_key is null or {{ rows_differ('changed', 'replaced_rows', compared) }})
            union
            select
                replaced_rows.{{ date_column }}
                {{- dimension_touches('replaced_rows', 'changed.' ~ key_column, 'changed', compared, dimensions) }}
            from {{ replaced }} as replaced_rows
            -- the rows written since, which every key replaced and still there was: found through the
            -- fact's index on loaded_through, not by hashing the whole fact (every stage change)
            left join {{ fact }} as changed
                on
                    replaced_rows.replaced_key = changed.{{ key_column }}
                    and changed.loaded_through > (select built.night from built)
            where
                replaced_rows.replaced_key is not null
                and ({{ counted_when | replace('{row}', 'replaced_rows') }})
                and (changed.{{ key_column }} is null or {{ rows_differ('changed', 'replaced_rows', compared) }})
            {%- endif %}
        )
{%- endmacro %}

{#- With `dimensions` (a KPI cut by dimension, SPEC section 4), touched_days also says, per dimension, the
    image's value (`by_<dimension>`) and whether the image touches its group (`touches_<dimension>`): a
    row new or removed touches every group it is in; a row rewritten touches a dimension's groups only if
    the two images differ in something else than the other dimension columns (segment, type, region,
    rep: a KPI only ever cuts by them, never counts or filters by them). An account that moved to
    another segment and region changes its deals' segment and region and nothing else: their 'all',
    type and rep groups stay as they were, and such won deals need only their segments' and regions'
    rows rebuilt. -#}
{% macro dimension_touches(image, other_key, other, compared, dimensions, other_exists=true) -%}
    {%- for dimension in dimensions or [] %},
                {% if dimension == 'all' %}'all'{% else -%}
                coalesce({{ image }}.{{ dimension_columns()[dimension] }}, 'unknown'){% endif %} as by_{{ dimension }},
                {%- if other_exists %}
                {%- set others = [] -%}
                {%- for another, column in dimension_columns().items() if another != dimension -%}
                    {%- do others.append(column) -%}
                {%- endfor %}
                {{ other_key }} is null or {{ rows_differ(image, other, compared | reject('in', others) | list) }}
                    as touches_{{ dimension }}
                {%- else %}
                true as touches_{{ dimension }}
                {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- The first day of the earliest quarter to rebuild, read when the model compiles (before the engine's step
    deletes anything: the same answer), or none when rebuilding whole or touching nothing. Written into
    the model's SQL as a literal bound on the fact's indexed date (`in_periods_to_rebuild`), it lets
    Postgres read the index from there instead of the whole fact: the periods themselves are only known
    to the engine step's temporary table, after the SQL is compiled. Worth it only for a fact indexed on
    date_trunc('quarter', date_column) (kpi_stage_duration's, kpi_lead_generation's); it costs the change
    detection once more. -#}
{% macro first_quarter_to_rebuild() -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set engine = incremental_engine_config() -%}
    {%- set fact, key_column, date_column = ref(engine.fact), engine.key_column, engine.date_column -%}
    {%- set counted_when = engine.get('counted_when', 'true') -%}
    {%- set first -%}
        with
        {{ touched_days_ctes(fact, key_column, date_column, counted_when) }}
        select cast({{ dbt.date_trunc('quarter', 'min(touched_days.day)') }} as date)::text
        from touched_days
        having not (select bool_or(everything.rebuild) from everything)
    {%- endset -%}
    {%- set found = run_query(first) -%}
    {{ return(found.columns[0].values()[0] if found.rows | length else none) }}
{%- endmacro %}

{#- The fact rows a KPI reads tonight: those in a quarter to rebuild (every one when rebuilding whole).
    The first condition reads no column of the fact: Postgres evaluates it once, before the scan, and
    skips the scan when no period is to be rebuilt (a night that touched none reads nothing). -#}
{% macro in_periods_to_rebuild(date_column, first_quarter=none) -%}
    {%- if is_incremental() -%}
        (
            {%- if first_quarter %}
            -- the form of the fact's index on the quarter (an index on the date itself also serves the
            -- fact's `is not null`, and Postgres would read every stay through it)
            {{ dbt.date_trunc('quarter', date_column) }} >= cast('{{ first_quarter }}' as timestamp) and
            {%- endif %}
            exists (
                select from {{ periods_to_rebuild_table() }} as touched
                where touched.everything or touched.period_start is not null
            )
            and (
                (select bool_or(rebuild.everything) from {{ periods_to_rebuild_table() }} as rebuild)
                or cast({{ dbt.date_trunc('quarter', date_column) }} as date) in (
                    select rebuild.period_start from {{ periods_to_rebuild_table() }} as rebuild
                    where rebuild.period_type = 'quarter'
                )
            )
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The KPI rows a night writes: those of the periods to rebuild (every one when rebuilding whole). -#}
{% macro is_period_to_rebuild(period_type_column='period_type', period_start_column='period_start') -%}
    {%- if is_incremental() -%}
        (
            (select bool_or(rebuild.everything) from {{ periods_to_rebuild_table() }} as rebuild)
            or ({{ period_type_column }}, {{ period_start_column }}) in (
                select rebuild.period_type, rebuild.period_start from {{ periods_to_rebuild_table() }} as rebuild
            )
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- For a KPI prepared with `dimensions`: the rows of `by_period` a dimension's groups need tonight (the
    groups touched, all of them when rebuilding whole). Grouped by that dimension, they make exactly
    the groups to rebuild, so the KPI needs no filter on its output (grouped_by_dimension). -#}
{% macro in_groups_to_rebuild(dimension) -%}
    {%- if is_incremental() -%}
        (
            (select bool_or(rebuild.everything) from {{ periods_to_rebuild_table() }} as rebuild)
            or (period_type, period_start, {{ dimension_value_of(dimension) }}) in (
                select rebuild.period_type, rebuild.period_start, rebuild.dimension_value
                from {{ periods_to_rebuild_table() }} as rebuild
                where rebuild.dimension = '{{ dimension }}'
            )
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro periods_to_rebuild_table() -%}
    pg_temp.{{ this.identifier }}__periods_to_rebuild
{%- endmacro %}

{#- Any of `columns` differs between two aliases' rows (nulls equal). -#}
{% macro rows_differ(left, right, columns) -%}
    ({% for column in columns %}{{ left }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %})
    is distinct from ({% for column in columns %}{{ right }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}
