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
            "tasks": {t.task_id: t.retries for t in dag.tasks},
            "downstream": {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks},
        }
    print("RESULT" + json.dumps(out))
""")


def load_dagbag(tmp_path) -> dict:
    env = {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
        "SALESOPS_WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:9/nothing",
        "PATH": "/usr/bin:/bin",
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


def test_nightly_dag_runs_the_flow_of_the_spec_in_order(tmp_path):
    dag = load_dagbag(tmp_path)["dags"]["salesops_nightly"]
    down = dag["downstream"]
    for source in ("crm", "contracts", "hr"):
        assert f"ingest_{source}.load" in down["prepare"]
        assert down[f"ingest_{source}.load"] == [f"ingest_{source}.check"]
        assert down[f"ingest_{source}.check"] == ["validate_raw"]
    assert down["validate_raw"] == ["dbt_build"]
    assert down["dbt_build"] == ["forecast"]
    assert down["forecast"] == ["validate_marts"]
    assert down["validate_marts"] == ["publish"]
    assert "report" in down["publish"]
