"""The dbt project as Airflow task groups (astronomer-cosmos): one group per layer.

`SALESOPS_DBT_TASKS=model` (the default, production): Cosmos renders one task per model from
`manifest.json` (built once by `salesops dbt manifest`, and by `salesops run` when a dbt file changed
since; never `dbt ls` at parse time). Each task runs `dbt build --select <model>` in-process
(dbtRunner): the model and its tests, so a failing model is visible in Airflow and retried on its own.
The mart tests that `validate_marts` makes again (grain, not-null, ranges) are left to it, once a night.

`SALESOPS_DBT_TASKS=layer`: one Cosmos `dbt build` task per layer, same selection and flags. A task
costs a fixed overhead here whatever the data, so on tiny data (the test suite, a demo catch-up)
a task per layer makes a night much faster than a task per model; a test checks both give the same marts.
"""

from __future__ import annotations

import os
from pathlib import Path

from salesops.config import BUILD_SCHEMA, Settings, dbt_env, load_settings
from salesops.errors import SalesopsError
from salesops.orchestration.dag_parts import NIGHT

PROJECT_NAME = "salesops"

# The nightly layers, in order: (group id, selectors). Forecast models wait for the Python
# time series, so they form their own group after it.
LAYERS: dict[str, list[str]] = {
    "dbt_staging": ["path:models/staging"],
    "dbt_snapshots": ["resource_type:snapshot"],
    "dbt_intermediate": ["path:models/intermediate"],
    "dbt_marts": ["path:models/marts"],
    "dbt_forecast": ["tag:forecast"],
}
FORECAST_LAYER = "dbt_forecast"

# dbt input files: a manifest older than any of them is stale.
_DBT_SOURCES = ("models", "macros", "snapshots", "tests", "dbt_project.yml")


def manifest_path(settings: Settings) -> Path:
    return settings.dbt_manifest


def manifest_is_stale(settings: Settings) -> bool:
    manifest = manifest_path(settings)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in _DBT_SOURCES:
        path = settings.dbt_project_dir / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        if any(f.stat().st_mtime > built for f in files):
            return True
    return False


def build_manifest(settings: Settings | None = None, force: bool = False) -> Path | None:
    """`dbt parse` into dbt_project/target/ (no warehouse needed); returns the path when it was (re)built."""
    from salesops.transform import dbt_runner

    settings = settings or load_settings()
    if not force and not manifest_is_stale(settings):
        return None
    target = manifest_path(settings).parent
    dbt_runner.run_dbt(settings, ["parse"], target_path=target)
    return manifest_path(settings)


# The mart tests the mart gate makes again on the same build schema before publish, as strictly (the grain,
# not-null, the [0, 1] and >= 0 ranges): tagged in the models' YAML, left out of the nightly build so each
# check runs once a night; `dbt build` or `dbt test` by hand still run them. A unit test keeps the tags
# equal to the checks the gate repeats (quality_suites.tests_the_mart_gate_repeats).
GATE_REPEATS_TAG = "gate_repeats"
GATE_REPEAT_EXCLUSIONS = ["--exclude", f"tag:{GATE_REPEATS_TAG}"]


def set_dbt_connection(context: object) -> None:
    """on_execute_callback: the warehouse connection for dbt's profile, from the environment at run
    time (so no credential is rendered into the task's templated fields)."""
    os.environ.update(dbt_env(load_settings()))


def task_granularity() -> str:
    return load_settings().dbt_tasks


def _operator_args(settings: Settings, group_id: str) -> dict:
    return {
        # The night in the environment, not in --vars: dbt re-parses the whole project when a var
        # changes, not when an environment variable that parsing never reads does (macros/utils/night.sql).
        "env": {"SALESOPS_NIGHT": NIGHT},
        "vars": {"build_schema": BUILD_SCHEMA,
                 "forecast_backfill_from": "{{ params.forecast_backfill_from or '' }}"},
        "full_refresh": "{{ params.full_refresh }}",
        # Unit tests check the SQL, not the night's data: the test suite runs them. Tests joining two
        # models (relationships) run once all are built (nightly.relationship_tests). --no-write-json:
        # a one-model build need not rewrite the whole manifest. The mart tests the mart gate repeats
        # run once, in the gate.
        "dbt_cmd_flags": ["--exclude", "test_name:relationships", "--exclude-resource-type", "unit_test",
                          "--no-write-json", *GATE_REPEAT_EXCLUSIONS],
        "install_deps": False,
        "append_env": True,
        "on_execute_callback": set_dbt_connection,
        # where dbt's partial-parse state is kept between tasks. One cache for every dbt task of the DAG,
        # per SALESOPS_HOME: a cache per task group (Cosmos's default) made each group's first task
        # parse the whole project.
        "cache_dir": settings.home / "dbt_cache",
    }


def _profile_config(settings: Settings) -> object:
    from cosmos import ProfileConfig

    return ProfileConfig(profile_name=PROJECT_NAME, target_name="warehouse",
                         profiles_yml_filepath=settings.dbt_project_dir / "profiles.yml")


def layer_group(group_id: str, default_args: dict, settings: Settings | None = None) -> object:
    """The task group of one layer (one task per model, or one per layer); the caller wires it."""
    from cosmos import DbtTaskGroup, ExecutionConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    settings = settings or load_settings()
    exclude = [] if group_id == FORECAST_LAYER else ["tag:forecast"]
    if task_granularity() == "layer":
        return _one_task_group(group_id, exclude, settings)
    manifest = manifest_path(settings)
    if not manifest.exists():
        raise SalesopsError(f"dbt manifest not found at {manifest}: run `salesops dbt manifest` "
                            "(make setup and salesops run do it for you)")
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(dbt_project_path=settings.dbt_project_dir, manifest_path=manifest,
                                     project_name=PROJECT_NAME),
        profile_config=_profile_config(settings),
        execution_config=ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                         invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, select=LAYERS[group_id], exclude=exclude,
                                   test_behavior=TestBehavior.BUILD,
                                   # the publish task marks the published marts; build-schema tables are private
                                   emit_datasets=False),
        operator_args=_operator_args(settings, group_id),
        default_args=default_args,
    )


def _one_task_group(group_id: str, exclude: list[str], settings: Settings) -> object:
    from airflow.sdk import TaskGroup
    from cosmos.constants import InvocationMode
    from cosmos.operators.local import DbtBuildLocalOperator

    with TaskGroup(group_id=group_id) as group:
        DbtBuildLocalOperator(
            task_id="build",
            project_dir=str(settings.dbt_project_dir),
            profile_config=_profile_config(settings),
            invocation_mode=InvocationMode.DBT_RUNNER,
            select=LAYERS[group_id],
            exclude=exclude,
            emit_datasets=False,
            **_operator_args(settings, group_id),
        )
    return group
