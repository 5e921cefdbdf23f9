"""Airflow building blocks the DAG files wire: the night template, landing sensors, mart Assets and
the deadline alert. Reads only the environment and the file tree at parse time (no database)."""

from __future__ import annotations

from datetime import date, timedelta

from salesops.config import Settings, load_settings

# The night a run builds, as a template: its logical date, or when it has none (a manual run in
# Airflow 3) the day it was asked to run after. Never the wall clock.
NIGHT = "{{ (logical_date or dag_run.run_after) | ds }}"

# An Airflow connection (conn_type fs) whose `path` is the landing folder: `salesops run` and the
# Docker stack define it from SALESOPS_LANDING_DIR (AIRFLOW_CONN_SALESOPS_LANDING).
LANDING_CONN_ID = "salesops_landing"


# What the scheduler's forkserver imports once ([scheduler] mp_start_method = forkserver and
# mp_forkserver_preload, Airflow 3.3): the LocalExecutor's workers are forked from it and each task
# from a worker, so a task starts with these imported instead of importing them (GX in each gate, dbt
# and its adapter in each dbt task, statsmodels in the forecast: all slow to import). Third-party
# tools only: our own package (a mounted volume in docker-compose.yml) is imported fresh by every task,
# so a code change needs no scheduler restart; a tool upgrade (a new image) restarts it anyway.
TASK_PRELOAD_MODULES = (
    "pandas",
    "great_expectations",
    "dbt.cli.main",
    "dbt.adapters.postgres",
    "statsmodels.tsa.exponential_smoothing.ets",
    "cosmos",
)


def night() -> date:
    """The night the running task's DAG run builds: the same rule as NIGHT (never the wall clock)."""
    from airflow.sdk import get_current_context

    context = get_current_context()
    return (context.get("logical_date") or context["dag_run"].run_after).date()


def default_args() -> dict:
    """What every task of our DAGs shares: owner, retries with exponential backoff, the failure alert."""
    from salesops.report.alerts import on_task_failure

    return {
        "owner": "sales-ops-data",
        "retries": 2,
        # `salesops run` shortens the delay for interactive runs; a scheduled night waits 2 minutes.
        "retry_delay": timedelta(seconds=load_settings().retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "on_failure_callback": on_task_failure,
    }


def landing_connection_uri(settings: Settings) -> str:
    """The value of AIRFLOW_CONN_SALESOPS_LANDING for this setup (JSON form)."""
    import json

    return json.dumps({"conn_type": "fs", "extra": {"path": str(settings.landing_dir)}})


def landing_sensor(source: str, required: bool) -> object:
    """Wait (deferred, on the triggerer) for tonight's folder of a source to hold its CSV files.

    A required source that never arrives fails the night at the timeout; an optional one is skipped,
    and its loads then record the files as missing in the ledger."""
    from airflow.providers.standard.sensors.filesystem import FileSensor

    settings = load_settings()
    return FileSensor(
        task_id=f"wait_for_{source}",
        fs_conn_id=LANDING_CONN_ID,
        filepath=f"{source}/{NIGHT}/*.csv",
        # `airflow dags test` runs a deferred trigger in line and never times it out, so `salesops run`
        # waits in poke mode (SALESOPS_LANDING_DEFERRABLE=false), where the sensor enforces its timeout.
        deferrable=settings.landing_deferrable,
        poke_interval=settings.landing_poke_seconds,
        timeout=settings.landing_timeout_seconds,
        soft_fail=not required,
        doc_md=f"Waits for `landing/{source}/<night>/*.csv` ({'required' if required else 'optional'} source).",
    )


def published_mart_names(settings: Settings | None = None) -> list[str]:
    """The tables a night publishes to `marts`, one per model file under models/marts (restricted excluded)."""
    settings = settings or load_settings()
    marts = settings.dbt_project_dir / "models" / "marts"
    return sorted(p.stem for p in marts.rglob("*.sql") if "restricted" not in p.relative_to(marts).parts)


def mart_asset_uri(table: str) -> str:
    return f"salesops://warehouse/marts/{table}"


def mart_assets(settings: Settings | None = None) -> list:
    """An Airflow Asset per published mart: downstream DAGs (BI extract refreshes) schedule on them."""
    from airflow.sdk import Asset

    return [Asset(name=f"marts.{name}", uri=mart_asset_uri(name), group="salesops_marts")
            for name in published_mart_names(settings)]


def deadline_hours() -> float:
    """0 turns the deadline off (`salesops run` does: `airflow dags test` in Airflow 3.3.2 cannot
    evaluate a DAG's deadline alerts and fails the run after its last task)."""
    return load_settings().night_deadline_hours


async def night_past_deadline(context: dict | None = None, **kwargs: object) -> None:
    """Deadline callback (on the triggerer): the night is still running past its deadline."""
    from salesops.report import alerts

    dag_run = (context or {}).get("dag_run")
    message = (f"salesops_nightly is past its deadline ({deadline_hours():g} h after the night began): "
               f"run {getattr(dag_run, 'run_id', dag_run)} has not finished")
    alerts.send_alert(message)


def night_deadline() -> object | None:
    """The night must be done `SALESOPS_NIGHT_DEADLINE_HOURS` after its logical date (default 8 h: by
    08:00 for a night starting at midnight), else a log line and the alert webhook."""
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    if deadline_hours() <= 0:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=timedelta(hours=deadline_hours()),
        callback=AsyncCallback(night_past_deadline),
    )
