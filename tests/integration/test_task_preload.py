"""The scheduler's preload, in a real Airflow: the scheduler (LocalExecutor), its API server and DAG
processor run as docker-compose.yml runs them, with its scheduler's mp_start_method and
mp_forkserver_preload, and a one-task DAG reports what its task process had imported when it began.
With the preload the tools are already there; without it (Airflow's default) none of them is.

The services cannot be `airflow dags test`, which runs tasks inside its own process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from salesops.orchestration.dag_parts import TASK_PRELOAD_MODULES
from tests.conftest import compose_file, free_port

pytestmark = pytest.mark.slow  # each test starts three Airflow services

PROBE_DAGS = Path(__file__).parents[1] / "fixtures" / "preload_probe"
AIRFLOW = str(Path(sys.executable).parent / "airflow")


def compose_scheduler_env() -> dict[str, str]:
    env = compose_file()["services"]["airflow-scheduler"]["environment"]
    return {key: str(value) for key, value in env.items() if key.startswith("AIRFLOW__SCHEDULER__MP_")}


def airflow_env(home: Path, port: int, out: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROBE_DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-only",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "PRELOAD_PROBE_OUT": str(out),
    })
    return env


def run_probe(tmp_path: Path, scheduler_env: dict[str, str]) -> dict:
    """Start the three services, trigger the probe, return what its task reported."""
    home, out = tmp_path / "airflow", tmp_path / "probe.json"
    env = airflow_env(home, free_port(), out)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    services = []
    try:
        for command, extra in (("api-server", {}), ("dag-processor", {}), ("scheduler", scheduler_env)):
            log = (tmp_path / f"{command}.log").open("w")
            services.append(subprocess.Popen([AIRFLOW, command], env={**env, **extra}, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 240
        triggered = False
        while not out.exists():
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text()[-2000:] for p in sorted(tmp_path.glob("*.log")))
                pytest.fail(f"the probe task did not report within 240 s:\n{logs}")
            if not triggered:  # once the DAG processor has serialized the probe DAG
                triggered = subprocess.run([AIRFLOW, "dags", "trigger", "preload_probe"], env=env,
                                           capture_output=True, timeout=120).returncode == 0
            time.sleep(2)
        return json.loads(out.read_text())
    finally:
        for service in services:
            os.killpg(service.pid, signal.SIGTERM)
        for service in services:
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            # the scheduler ends on SIGTERM but its executor's workers may not: nothing of the group stays
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.pid, signal.SIGKILL)


def test_compose_scheduler_preloads_the_task_tools(tmp_path: Path):
    scheduler_env = compose_scheduler_env()
    assert scheduler_env["AIRFLOW__SCHEDULER__MP_START_METHOD"] == "forkserver"
    report = run_probe(tmp_path / "preloaded", scheduler_env)
    assert report["imported"] == {module: True for module in TASK_PRELOAD_MODULES}, report


def test_without_the_preload_a_task_imports_its_tools_itself(tmp_path: Path):
    """The probe can fail: Airflow's default start method gives a task none of the tools."""
    report = run_probe(tmp_path / "default", {})
    assert not any(report["imported"][module] for module in ("great_expectations", "dbt.cli.main")), report
