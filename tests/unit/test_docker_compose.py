"""The compose file cannot be run here (no Docker engine), so check its structure instead."""

from __future__ import annotations

from salesops.config import PROJECT_DIR
from tests.conftest import compose_file


def test_compose_defines_postgres_and_the_airflow_3_services():
    services = compose_file()["services"]
    assert "postgres" in services and services["postgres"]["image"].startswith("postgres:")
    commands = {name: " ".join(s.get("command", [])) if isinstance(s.get("command"), list) else s.get("command", "")
                for name, s in services.items()}
    for command in ("api-server", "scheduler", "dag-processor", "triggerer"):
        assert any(c.strip() == command for c in commands.values()), f"no service runs `airflow {command}`"
    init = services["airflow-init"]
    assert "db migrate" in str(init.get("command", "")) + str(init.get("entrypoint", ""))


def test_airflow_services_share_config_wait_for_init_and_mount_the_project():
    services = compose_file()["services"]
    airflow = {name: s for name, s in services.items() if name.startswith("airflow-") and name != "airflow-init"}
    assert len(airflow) == 4
    for name, service in airflow.items():
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert "/salesops" in env["SALESOPS_WAREHOUSE_URL"], name
        assert "${" in env["SALESOPS_WAREHOUSE_URL"], f"{name}: the warehouse password must come from the environment"
        assert service["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", name
        mounts = " ".join(service.get("volumes", []))
        assert "/dags" in mounts and "/landing" in mounts, name


def test_metadata_and_warehouse_are_separate_databases():
    services = compose_file()["services"]
    env = services["airflow-scheduler"]["environment"]
    metadata_db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
    warehouse_db = env["SALESOPS_WAREHOUSE_URL"].rsplit("/", 1)[1]
    assert metadata_db != warehouse_db


def test_sensors_and_cosmos_are_configured_for_the_stack():
    """The landing sensors' fs connection points at the mounted landing folder, and airflow-init
    builds the dbt manifest the DAG is rendered from, where every service reads it."""
    import json

    services = compose_file()["services"]
    init = services["airflow-init"]
    assert "salesops dbt manifest" in " ".join(init["command"])
    for name, service in services.items():
        if not name.startswith("airflow-"):
            continue
        env = service["environment"]
        landing = json.loads(env["AIRFLOW_CONN_SALESOPS_LANDING"])
        assert landing["conn_type"] == "fs" and landing["extra"]["path"] == env["SALESOPS_LANDING_DIR"], name
        assert env["SALESOPS_DBT_MANIFEST"].startswith(env["SALESOPS_HOME"]), name


def test_scheduler_preloads_the_tools_tasks_import():
    """The scheduler's forkserver imports salesops.orchestration.dag_parts.TASK_PRELOAD_MODULES, each of which
    exists (a forkserver skips a module it cannot import without a word)."""
    from importlib.util import find_spec

    from salesops.orchestration.dag_parts import TASK_PRELOAD_MODULES

    env = compose_file()["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__SCHEDULER__MP_START_METHOD"] == "forkserver"
    assert tuple(env["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"].split(",")) == TASK_PRELOAD_MODULES
    assert all(find_spec(module) is not None for module in TASK_PRELOAD_MODULES)
    assert not any(module.startswith("salesops") for module in TASK_PRELOAD_MODULES), \
        "our own code is mounted: preloaded, a change would need a scheduler restart"


def test_no_secret_has_a_default_and_no_port_leaves_the_machine():
    """A password left at a default is a password anyone knows: the stack refuses to start without each
    one (`${VAR:?...}`), and the warehouse and the UI listen on the host's loopback only."""
    import re

    text = (PROJECT_DIR / "docker-compose.yml").read_text()
    for name in ("POSTGRES_PASSWORD", "SALESOPS_DB_PASSWORD", "SALESOPS_BI_PASSWORD", "AIRFLOW_JWT_SECRET"):
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses and all(use.startswith(":?") for use in uses), (name, uses)
    for name, service in compose_file()["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
