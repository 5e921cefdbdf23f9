"""Every DAG file imports cleanly, has no cycle, sets retries and tags, and touches no database at parse time.

The DagBag is built in a subprocess with its own AIRFLOW_HOME, with every network connection
made to fail: a DAG file that opens a database connection at import time breaks the import.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from salesops.config import PROJECT_DIR

PROBE = textwrap.dedent("""
    import json, socket, sys

    def no_network(*args, **kwargs):
        raise RuntimeError("DAG files must not open connections at parse time")

    socket.socket.connect = no_network
    socket.create_connection = no_network
    import psycopg2
    psycopg2.connect = no_network

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=sys.argv[1])
    out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in bag.dags.items():
        out["dags"][dag_id] = {
            "tags": sorted(dag.tags),
            "doc": bool(dag.doc_md),
            "owner": dag.default_args.get("owner"),
            "max_active_runs": dag.max_active_runs,
            "start_date": dag.start_date.date().isoformat() if dag.start_date else None,
            "tasks": {t.task_id: t.retries for t in dag.tasks},
            "downstream": {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks},
            "outlets": {t.task_id: sorted(a.uri for a in t.outlets) for t in dag.tasks if t.outlets},
            "deferrable": sorted(t.task_id for t in dag.tasks if getattr(t, "deferrable", False)),
            "timeouts": {t.task_id: t.timeout for t in dag.tasks if hasattr(t, "poke_interval")},
            "deadline": bool(dag.deadline),
            "operators": {t.task_id: type(t).__name__ for t in dag.tasks},
        }
    out["salesops_modules"] = sorted(m for m in sys.modules if m.startswith("salesops"))
    print("RESULT" + json.dumps(out))
""")


_PARSED: dict[tuple, dict] = {}  # parsing the DAGs (Cosmos included) is slow: once per environment


def load_dagbag(tmp_path, **extra_env: str) -> dict:
    key = tuple(sorted(extra_env.items()))
    if key not in _PARSED:
        _PARSED[key] = _parse_dagbag(tmp_path, extra_env)
    return _PARSED[key]


def _parse_dagbag(tmp_path, extra_env: dict[str, str]) -> dict:
    env = {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
        "SALESOPS_WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:9/nothing",
        "PATH": "/usr/bin:/bin",
        **extra_env,
    }
    result = subprocess.run([sys.executable, "-c", PROBE, str(PROJECT_DIR / "dags")], env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def _has_cycle(downstream: dict[str, list[str]]) -> bool:
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        if state.get(node) == 1:
            return True
        if state.get(node) == 2:
            return False
        state[node] = 1
        if any(visit(child) for child in downstream[node]):
            return True
        state[node] = 2
        return False

    return any(visit(node) for node in downstream)


def test_dags_import_without_errors_and_follow_the_rules(tmp_path):
    bag = load_dagbag(tmp_path)
    assert bag["errors"] == {}
    assert "salesops_nightly" in bag["dags"]
    for dag_id, dag in bag["dags"].items():
        assert dag["tags"], f"{dag_id} has no tags"
        assert dag["doc"], f"{dag_id} has no doc_md"
        assert dag["owner"], f"{dag_id} has no owner"
        assert dag["max_active_runs"] == 1, dag_id
        low = {task: retries for task, retries in dag["tasks"].items() if retries < 2}
        assert not low, f"{dag_id}: tasks with fewer than 2 retries: {low}"
        assert not _has_cycle(dag["downstream"]), dag_id
    # parsing wires tasks only: the stages' own modules load when a task runs
    parsed = set(bag["salesops_modules"])
    assert not {m for m in parsed if m.startswith(("salesops.quality", "salesops.ingest", "salesops.publish",
                                                   "salesops.forecast"))}, sorted(parsed)


def _roots_and_leaves(down: dict[str, list[str]], group: str) -> tuple[set[str], set[str]]:
    members = {t for t in down if t.startswith(f"{group}.")}
    inside = {child for t in members for child in down[t] if child in members}
    return members - inside, {t for t in members if not set(down[t]) & members}


def test_nightly_dag_runs_the_flow_of_the_spec_in_order(tmp_path):
    dag = load_dagbag(tmp_path)["dags"]["salesops_nightly"]
    down = dag["downstream"]
    for source in ("crm", "contracts", "hr"):
        assert f"ingest_{source}.wait_for_{source}" in down["prepare"]
        assert down[f"ingest_{source}.wait_for_{source}"] == [f"ingest_{source}.load"]
        assert down[f"ingest_{source}.load"] == [f"ingest_{source}.check"]
        assert down[f"ingest_{source}.check"] == ["validate_raw"]
    assert down["validate_raw"] == ["dbt_prepare"]
    previous = {"dbt_prepare"}
    for group in ("dbt_staging", "dbt_snapshots", "dbt_intermediate", "dbt_marts"):
        roots, leaves = _roots_and_leaves(down, group)
        assert roots and all(set(down[p]) >= roots for p in previous), group
        previous = leaves
    assert all(down[leaf] == ["relationship_tests"] for leaf in previous)
    assert down["relationship_tests"] == ["forecast"]
    roots, leaves = _roots_and_leaves(down, "dbt_forecast")
    assert set(down["forecast"]) == roots
    assert all(down[leaf] == ["validate_marts"] for leaf in leaves)
    assert down["validate_marts"] == ["publish"]
    assert "report" in down["publish"]
    # a past night runs (history loaded late, make realdata's 2017): before start_date it would get no task
    assert dag["start_date"] <= "2000-01-01"


def test_dbt_tasks_are_rendered_one_per_model_from_the_manifest(tmp_path):
    """Cosmos renders a task per model (and the snapshot) from manifest.json, none for forecast
    models outside dbt_forecast; every model of the project has exactly one task."""
    from salesops.config import load_settings
    from salesops.transform import dbt_tasks

    manifest = json.loads(dbt_tasks.manifest_path(load_settings()).read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "snapshot")}
    dag = load_dagbag(tmp_path)["dags"]["salesops_nightly"]
    rendered = {t.split(".", 1)[1].rsplit("_", 2)[0]: t.split(".", 1)[0]
                for t, op in dag["operators"].items() if op in ("DbtBuildLocalOperator", "DbtSnapshotLocalOperator")
                or t.endswith(("_model_build", "_snapshot_build"))}
    assert set(rendered) == models
    forecast_models = {n["name"] for n in manifest["nodes"].values()
                       if "forecast" in n.get("tags", []) and n["resource_type"] == "model"}
    assert {m for m, group in rendered.items() if group == "dbt_forecast"} == forecast_models


def test_layer_granularity_renders_one_dbt_task_per_layer(tmp_path):
    dag = load_dagbag(tmp_path, SALESOPS_DBT_TASKS="layer")["dags"]["salesops_nightly"]
    dbt = sorted(t for t in dag["tasks"] if t.startswith("dbt_") and t != "dbt_prepare")
    assert dbt == ["dbt_forecast.build", "dbt_intermediate.build", "dbt_marts.build", "dbt_snapshots.build",
                   "dbt_staging.build"]


def test_sensors_assets_and_deadline(tmp_path):
    from salesops.orchestration.dag_parts import mart_asset_uri, published_mart_names

    dag = load_dagbag(tmp_path)["dags"]["salesops_nightly"]
    sensors = {f"ingest_{s}.wait_for_{s}" for s in ("crm", "contracts", "hr")}
    assert sensors <= set(dag["deferrable"])
    assert all(dag["timeouts"][s] == 6 * 3600 for s in sensors)
    marts = published_mart_names()
    assert "kpi_win_rate" in marts and "kpi_compensation" not in marts  # restricted pay is no BI asset
    assert dag["outlets"]["publish"] == sorted(mart_asset_uri(m) for m in marts)
    assert dag["deadline"]
    maintenance = load_dagbag(tmp_path)["dags"]["salesops_maintenance"]
    assert maintenance["downstream"]["prune_raw"] == ["prune_reports"]
