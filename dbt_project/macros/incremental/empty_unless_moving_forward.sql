{#- Step of the incremental engine (strategies latest_versions and by_key) for the models outside the
    write-audit-publish swap (staging and intermediate tables, which hold the last night built): when
    tonight does not move forward (a rerun, or an older night rebuilt), empty the table first, so it is
    rebuilt from everything loaded up to the night and never keeps a version from the future.
    `night_column` holds the night each row was read in. -#}
{% macro empty_unless_moving_forward(night_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where (select cast(max(built.{{ night_column }}) as date) from {{ this }} as built) >= {{ night() }}
    {%- endif -%}
{%- endmacro %}
