"""Run the project's DAGs with a private Airflow home (SQLite metadata) under SALESOPS_HOME.

`salesops run` goes through `airflow dags test`, i.e. the real DAG and the real Airflow task
runner, not a parallel code path; each SALESOPS_HOME has its own Airflow state.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from salesops.config import Settings
from salesops.errors import SalesopsError
from salesops.orchestration import dag_parts
from salesops.transform import dbt_tasks

NIGHTLY_DAG = "salesops_nightly"


def airflow_env(settings: Settings) -> dict[str, str]:
    home = settings.airflow_home
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",  # no network calls from our machines
        "DBT_USE_COLORS": "false",  # task logs are files: no terminal colour codes in them
        "SALESOPS_HOME": str(settings.home),
        "SALESOPS_LANDING_DIR": str(settings.landing_dir),
        "SALESOPS_PG_PORT": str(settings.pg_port),
    })
    env["AIRFLOW_CONN_SALESOPS_LANDING"] = dag_parts.landing_connection_uri(settings)
    # Interactive runs: retry soon, and do not wait hours for a night's files that are not there.
    env.setdefault("SALESOPS_RETRY_DELAY_SECONDS", "5")
    env.setdefault("SALESOPS_LANDING_TIMEOUT_SECONDS", "10")
    env.setdefault("SALESOPS_LANDING_POKE_SECONDS", "2")
    env["SALESOPS_LANDING_DEFERRABLE"] = "false"  # `dags test` never times out a deferred trigger
    env["SALESOPS_NIGHT_DEADLINE_HOURS"] = "0"  # `dags test` (Airflow 3.3.2) fails on a DAG's deadline alerts
    if settings.external_warehouse_url:
        env["SALESOPS_WAREHOUSE_URL"] = settings.external_warehouse_url
    return env


def _airflow_bin() -> str:
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else (shutil.which("airflow") or "airflow")


def ensure_metadata_db(settings: Settings) -> None:
    """Create the SQLite metadata database once per Airflow home."""
    marker = settings.airflow_home / ".migrated"
    if marker.exists():
        return
    (settings.airflow_home / "plugins").mkdir(parents=True, exist_ok=True)
    result = subprocess.run([_airflow_bin(), "db", "migrate"], env=airflow_env(settings), capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise SalesopsError(f"airflow db migrate failed:\n{result.stderr[-3000:]}")
    marker.write_text("ok\n")


def run_dag_test(settings: Settings, night: date, dag_id: str = NIGHTLY_DAG, log_file: Path | None = None,
                 conf: dict | None = None, lock_token: str | None = None) -> int:
    """`airflow dags test <dag> <night> [--conf ...]`; returns its exit code, output streamed to log_file.
    `lock_token`: the night lock the caller holds (night_lock.hold), which the run's tasks then share."""
    ensure_metadata_db(settings)
    if dbt_tasks.build_manifest(settings) is not None:  # Cosmos renders the dbt tasks from it
        print(f"dbt manifest rebuilt: {dbt_tasks.manifest_path(settings)}")
    log_file = log_file or settings.airflow_home / "runs" / f"{dag_id}_{night.isoformat()}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [_airflow_bin(), "dags", "test", dag_id, night.isoformat()]
    if conf:
        command += ["--conf", json.dumps(conf)]
    with log_file.open("w") as out:
        env = airflow_env(settings)
        if lock_token:
            from salesops.orchestration.night_lock import HOLDER_VARIABLE

            env[HOLDER_VARIABLE] = lock_token
        # its own process group, ended with us: a salesops command killed mid-night leaves no run behind
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_die_with_parent)
        if lock_token:
            from salesops.orchestration.night_lock import record_worker

            record_worker(settings, lock_token, process.pid)
        try:
            return process.wait()
        except BaseException:
            os.killpg(process.pid, signal.SIGTERM)
            raise


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends it SIGKILL when the salesops command dies (Linux)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the next holder stops an orphaned run (night_lock.record_worker)
