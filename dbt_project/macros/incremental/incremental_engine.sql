{#- The incremental engine's entry points. Every incremental model names its strategy and that strategy's
    inputs in its configuration, `incremental_engine={'strategy': ..., ...}`; the two hooks below, declared
    once for the whole project in dbt_project.yml, run the strategy's steps before and after the model's
    select. docs/incremental.md describes each strategy, its options and the invariant it keeps (a night's
    result equals a full rebuild's).
    The strategies and their options are incremental_engine_strategies() below (the one list; the table in
    docs/incremental.md explains them). -#}

{%- macro incremental_engine_strategies() -%}
    {{ return({
        'latest_versions': [],
        'by_key': ['night_column', 'rebuild_unless_moving_forward', 'rewrites', 'prepare_keys', 'before_images',
                   'replaced_key_column', 'removes_gone_from', 'follows', 'credits_users'],
        'by_deltas': ['fact', 'kept_while'],
        'by_period': ['fact', 'key_column', 'date_column', 'counted_when', 'dimensions', 'period', 'week_column',
                      'batch_column', 'week_start_column'],
        'by_slice': [],
    }) }}
{%- endmacro -%}

{#- The model's engine configuration, checked when the model runs (its first dbt run, full or incremental):
    an incremental model must name a known strategy with the options it needs and no option it would ignore
    (a typo fails the build instead of silently skipping a step); none for other models. -#}
{% macro incremental_engine_config() -%}
    {%- set engine = config.get('incremental_engine') -%}
    {%- if config.get('materialized') != 'incremental' -%}
        {%- if engine -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ ": incremental_engine is set but the model is not incremental") }}
        {%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set strategies = incremental_engine_strategies() -%}
    {%- if not engine or engine.get('strategy') not in strategies -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": an incremental model names its strategy, incremental_engine={'strategy': one of "
            ~ (strategies.keys() | list | sort | join(', ')) ~ "} (docs/incremental.md); it has "
            ~ (engine.get('strategy') if engine else 'none')) }}
    {%- endif -%}
    {%- for option in engine if option != 'strategy' and option not in strategies[engine.strategy] -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": incremental_engine strategy " ~ engine.strategy ~ " has no option '" ~ option
            ~ "' (it takes: " ~ (strategies[engine.strategy] | join(', ') or 'none') ~ ")") }}
    {%- endfor -%}
    {%- if engine.strategy == 'by_period' and config.get('incremental_strategy') != 'append' -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": strategy by_period deletes the periods it rebuilds and appends them:"
            ~ " set incremental_strategy='append'") }}
    {%- endif -%}
    {%- set problems = incremental_engine_problems(engine) -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": incremental_engine " ~ engine.strategy ~ ": " ~ problems | join('; ')
            ~ " (docs/incremental.md)") }}
    {%- endif -%}
    {{ return(engine) }}
{%- endmacro %}

{#- What a strategy's options lack or hold in vain: the required ones missing, the ones only another variant
    or option reads. -#}
{% macro incremental_engine_problems(engine) -%}
    {%- set problems = [] -%}
    {%- set given = engine.keys() | list -%}
    {%- if engine.strategy == 'by_deltas' -%}
        {%- set required, unused = ['fact', 'kept_while'], [] -%}
    {%- elif engine.strategy == 'by_period' and engine.get('period') == 'week' -%}
        {%- set required = ['fact', 'week_column', 'date_column', 'batch_column'] -%}
        {%- set unused = ['key_column', 'counted_when', 'dimensions'] -%}
    {%- elif engine.strategy == 'by_period' -%}
        {%- set required = ['fact', 'key_column', 'date_column'] -%}
        {%- set unused = ['week_column', 'batch_column', 'week_start_column'] -%}
        {%- if engine.get('period') is not none -%}
            {%- do problems.append("period is 'week' or left out (months and quarters), not '"
                                   ~ engine.period ~ "'") -%}
        {%- endif -%}
    {%- else -%}
        {%- set required, unused = [], [] -%}
    {%- endif -%}
    {%- for option in required if option not in given -%}
        {%- do problems.append("needs " ~ option) -%}
    {%- endfor -%}
    {%- for option in unused if option in given -%}
        {%- do problems.append(option ~ " is not read by this variant") -%}
    {%- endfor -%}
    {%- if engine.strategy == 'by_key' -%}
        {%- set reads_rewrites = engine.get('prepare_keys') or engine.get('before_images') -%}
        {%- if reads_rewrites and not engine.get('rewrites') -%}
            {%- do problems.append("prepare_keys and before_images need rewrites (the macro of the keys rewritten)") -%}
        {%- endif -%}
        {%- if engine.get('rewrites') and not reads_rewrites -%}
            {%- do problems.append("rewrites is read only with prepare_keys or before_images") -%}
        {%- endif -%}
        {%- if engine.get('replaced_key_column') and not engine.get('before_images') -%}
            {%- do problems.append("replaced_key_column is read only with before_images") -%}
        {%- endif -%}
        {%- if engine.get('follows') and not engine.get('removes_gone_from') -%}
            {%- do problems.append("follows needs removes_gone_from (the keys gone from staging are removed too)") -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(problems) }}
{%- endmacro %}

{#- Pre-hook of every model (dbt_project.yml): the strategy's steps before the select, in this order: the
    table emptied when the night does not move forward, the keys to rewrite worked out, the before-images
    kept, the keys gone removed. Nothing on a full build. -#}
{% macro incremental_engine_before() -%}
    {%- set engine = incremental_engine_config() if execute else none -%}
    {%- if engine is none or not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set steps = [] -%}
    {%- set strategy = engine.strategy -%}
    {%- if strategy == 'latest_versions' -%}
        {%- do steps.append(empty_unless_moving_forward('_batch_id')) -%}
    {%- elif strategy == 'by_key' -%}
        {%- set key_column = config.get('unique_key') -%}
        {%- set night_column = engine.get('night_column', 'loaded_through') -%}
        {%- set staging = ref(engine.removes_gone_from) if engine.get('removes_gone_from') else none -%}
        {%- if engine.get('rebuild_unless_moving_forward', true) -%}
            {%- do steps.append(empty_unless_moving_forward(night_column)) -%}
        {%- endif -%}
        {%- set rewritten = context[engine.rewrites]() if engine.get('rewrites') else none -%}
        {%- if engine.get('prepare_keys') -%}
            {%- do steps.append(prepare_keys_to_rewrite(rewritten)) -%}
            {%- set rewritten = keys_to_rewrite(key_column) -%}
        {%- endif -%}
        {%- if engine.get('before_images') -%}
            {%- set removed = keys_gone_since(staging, key_column, last_built_night()) if staging
                              else 'select cast(null as text) where false' -%}
            {%- do steps.append(record_replaced_rows(key_column, rewritten, removed, night_column=night_column,
                                                     replaced_key_column=engine.get('replaced_key_column'))) -%}
        {%- endif -%}
        {%- if engine.get('follows') -%}
            {%- do steps.append(remove_keys_rewritten_since(ref(engine.follows), key_column, staging)) -%}
        {%- elif staging is not none -%}
            {%- do steps.append(remove_keys_gone_since_built(staging, key_column)) -%}
        {%- endif -%}
    {%- elif strategy == 'by_deltas' -%}
        {%- do steps.append(prepare_deltas(ref(engine.fact))) -%}
    {%- elif strategy == 'by_period' and engine.get('period') == 'week' -%}
        {%- set week_start_column = engine.get('week_start_column', 'week_start') -%}
        {%- do steps.append(delete_weeks_to_rebuild(weeks_to_rebuild(), week_start_column)) -%}
    {%- elif strategy == 'by_period' -%}
        {%- do steps.append(prepare_periods_to_rebuild(
            ref(engine.fact), engine.key_column, engine.date_column, engine.get('counted_when', 'true'),
            engine.get('dimensions'))) -%}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- for step in steps if step | trim -%}
        {%- do statements.append((step | trim).rstrip(';')) -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

{#- Post-hook of every model (dbt_project.yml): the strategy's steps after the select (inside the model's
    transaction): the matches a table kept by key credited, recorded; the keys a table kept by deltas left
    with nothing counted, removed. -#}
{% macro incremental_engine_after() -%}
    {%- set engine = incremental_engine_config() if execute else none -%}
    {%- if engine is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- if engine.strategy == 'by_key' and engine.get('credits_users') -%}
        {{ return(record_credited_users(ref(credited_identities_model()))) }}
    {%- elif engine.strategy == 'by_deltas' and engine.get('kept_while') -%}
        {{ return(drop_empty_keys(engine.kept_while)) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
