"""The dbt project as Airflow task groups (astronomer-cosmos): one group per layer.

`SALESOPS_DBT_TASKS=model` (the default, production): Cosmos renders one task per model from
`manifest.json` (built once by `salesops dbt manifest`, and by `salesops run` when a dbt file changed
since; never `dbt ls` at parse time). Each task runs `dbt build --select <model>` in-process
(dbtRunner): the model and its tests, so a failing model is visible in Airflow and retried on its own.
The mart tests that `validate_marts` makes again (grain, not-null, ranges) are left to it, once a night.

`SALESOPS_DBT_TASKS=layer`: one Cosmos `dbt build` task per layer, same selection and flags. A task
costs ~2.5 s of fixed overhead here whatever the data, so on tiny data (the test suite, a demo
catch-up) a layer task is minutes faster per night; a test checks both give the same marts.
"""

from __future__ import annotations

import json
import os
from functools import cache
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


@cache
def _tests_the_gate_repeats(manifest: Path, modified: float, gx_root: Path) -> dict[str, tuple[str, ...]]:
    """The tests the mart gate repeats, by the layer (task group) that builds the model each tests."""
    from salesops.quality.quality_suites import tests_the_mart_gate_repeats

    project = json.loads(manifest.read_text())
    nodes = project["nodes"]
    tested = {node["name"]: nodes[node["attached_node"]] for node in nodes.values()
              if node["resource_type"] == "test" and node.get("attached_node") in nodes}
    by_layer: dict[str, list[str]] = {layer: [] for layer in LAYERS}
    for name in tests_the_mart_gate_repeats(project, gx_root):
        by_layer[_layer_of(tested[name])].append(name)
    return {layer: tuple(names) for layer, names in by_layer.items()}


def _layer_of(node: dict) -> str:
    """The LAYERS group whose selectors pick a manifest node (a model or the snapshot): the forecast's
    first, as the other groups leave its models out."""
    def picks(selector: str) -> bool:
        method, _, value = selector.partition(":")
        return {"tag": value in node["tags"], "resource_type": node["resource_type"] == value,
                "path": node["original_file_path"].startswith(value + "/")}[method]

    groups = sorted(LAYERS, key=lambda group: group != FORECAST_LAYER)
    return next(group for group in groups if any(map(picks, LAYERS[group])))


def gate_repeat_exclusions(settings: Settings, layers: tuple[str, ...] = tuple(LAYERS)) -> list[str]:
    """dbt flags leaving the mart tests that the mart gate repeats out of a nightly build (see
    quality_suites.tests_the_mart_gate_repeats), named from manifest.json. No manifest: none left out.

    Only those of `layers` (the models the build selects): dbt matches every `--exclude` name against
    every node, and the 134 of them cost 0.4-0.5 s of each invocation that builds none of the marts."""
    manifest = manifest_path(settings)
    if not manifest.exists():
        return []
    by_layer = _tests_the_gate_repeats(manifest, manifest.stat().st_mtime, settings.gx_root)
    names = [name for layer in layers for name in by_layer[layer]]
    return ["--exclude", *names] if names else []


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
                          "--no-write-json", *gate_repeat_exclusions(settings, (group_id,))],
        "install_deps": False,
        "append_env": True,
        "on_execute_callback": set_dbt_connection,
        # where dbt's partial-parse state is kept between tasks. One cache for every dbt task of the DAG,
        # per SALESOPS_HOME: a cache per task group (Cosmos's default) made each group's first task
        # parse the whole project (5-7 s).
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
