"""The steps of one nightly refresh, as plain functions the DAG's tasks call.

Each step is idempotent for its night: rerunning it replaces what it wrote before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from salesops import warehouse
from salesops.config import BUILD_SCHEMA, Settings, load_settings
from salesops.contracts import entity
from salesops.errors import DataError, NightLockedError
from salesops.ingest import loader
from salesops.orchestration import night_lock
from salesops.publish import swap
from salesops.quality import quality_gate
from salesops.report import night_page
from salesops.transform import dbt_runner, dbt_tasks

log = logging.getLogger(__name__)


@contextmanager
def night_task(first: bool = False, last: bool = False) -> Iterator[None]:
    """Around an Airflow task's work: it goes on only while its run holds the night lock (night_lock; the
    `first` task of a scheduled run takes it, starting the embedded warehouse if need be, and the `last`
    gives it back), and bad data or a warehouse another run holds fails it at once instead of retrying."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    from salesops.orchestration import dag_parts

    context = get_current_context()
    night = dag_parts.night()
    settings = warehouse.ensure_available() if first else load_settings()
    try:
        night_lock.check_task(settings, night, context["run_id"])
        yield
    except (DataError, NightLockedError) as exc:
        raise AirflowFailException(str(exc)) from exc
    finally:
        if last:
            night_lock.release_task(settings, context["run_id"])


def prepare(settings: Settings | None = None) -> str:
    """Make sure the warehouse answers (starting the embedded one if that is the setup) and that the
    bi_reader login exists with its grants (a warning, not a failure, where we may not create roles)."""
    import psycopg2

    from salesops.publish import access

    settings = warehouse.ensure_available(settings or load_settings())
    try:
        access.create_bi_reader(settings)
    except psycopg2.errors.InsufficientPrivilege as exc:
        log.warning("cannot create or grant %s here (%s); run `salesops db grant-bi` as an admin",
                    access.BI_ROLE, str(exc).strip())
    return warehouse.redact(settings.warehouse_url)


def ingest_file(source: str, entity_name: str, night: date, settings: Settings | None = None) -> dict:
    """Load one extract of the night (one mapped task per file, so each retries on its own)."""
    settings = settings or load_settings()
    conn = warehouse.connect(settings)
    try:
        return loader.load_entity(conn, settings.landing_dir, entity(source, entity_name), night).as_dict()
    finally:
        conn.close()


def check_source(source: str, night: date, results: list[dict], settings: Settings | None = None) -> dict:
    """Fail the night if a required source could not be loaded; summarise the source otherwise."""
    settings = settings or load_settings()
    files = [loader.FileResult(**r) for r in results]
    conn = warehouse.connect(settings)
    try:
        files += loader.record_ignored_files(conn, settings.landing_dir, source, night)
    finally:
        conn.close()
    loader.check_source(source, files, str(settings.landing_dir / source / night.isoformat()))
    return {"source": source, "files": len(files), "rows_loaded": sum(f.rows_loaded for f in files),
            "rows_rejected": sum(f.rows_rejected for f in files)}


def validate(layer: str, night: date, run_id: str, settings: Settings | None = None) -> dict:
    return quality_gate.run_gate(settings or load_settings(), layer, night, run_id).summary()


def prepare_build(night: date, full_refresh: bool = False, settings: Settings | None = None) -> str:
    """Before dbt: statistics for the night's fresh partitions, and the night's build schema (the
    previous-but-one marts recycled, so incremental models only catch up; empty on a full refresh)."""
    settings = settings or load_settings()
    conn = warehouse.connect(settings)
    try:
        loader.analyze_night(conn, night)  # autovacuum never analyses a partitioned parent
    finally:
        conn.close()
    how = swap.prepare_build_schema(settings, night, full_refresh=full_refresh)
    log.info("build schema %s: %s", BUILD_SCHEMA, how)
    return how


def relationship_tests(night: date, settings: Settings | None = None) -> dict:
    """The tests that join two models (relationships: every foreign key found in its dimension), once
    all layers are built; the per-model tasks leave them out."""
    settings = settings or load_settings()
    outcome = dbt_runner.run_dbt(settings, ["test", "--select", "test_name:relationships"], night=night,
                                 build_schema=BUILD_SCHEMA)
    return {"success": outcome.success, "nodes": outcome.nodes}


def forecast_time_series(settings: Settings | None = None) -> dict:
    """The time-series forecast (Python, statsmodels) for the build's as-of days; the forecast marts
    that combine it with the pipeline methods are dbt models that run after it."""
    from salesops.forecast import time_series

    return time_series.run(settings or load_settings())


def _forecast_vars(backfill_from: date | None) -> dict:
    return {"forecast_backfill_from": backfill_from.isoformat() if backfill_from else None}


# Outside Airflow (tests, benchmarks, a quick manual build) the whole project runs as one dbt build;
# in the DAG, Cosmos runs the same selection as one task per node (salesops.transform.dbt_tasks).
def build(night: date, full_refresh: bool = False, forecast_backfill_from: date | None = None,
          settings: Settings | None = None, select: list[str] | None = None) -> dict:
    """prepare_build, then dbt build (models, snapshots and their tests) into the build schema,
    all but the forecast models, which need the Python time series first (`forecast`), and the mart
    tests the mart gate makes again before publish (dbt_tasks.GATE_REPEAT_EXCLUSIONS).

    `select`: only these dbt selectors (`+model` for a model and what it reads), for a test or a quick
    check; the tests joining two models (relationships) are then left out, the other side may be unbuilt."""
    settings = settings or load_settings()
    how = prepare_build(night, full_refresh=full_refresh, settings=settings)
    command = ["build", "--exclude-resource-type", "unit_test", "--exclude", "tag:forecast",
               *dbt_tasks.GATE_REPEAT_EXCLUSIONS]
    if select:
        command += ["--select", *select, "--exclude", "test_name:relationships"]
    if full_refresh:
        command.append("--full-refresh")
    outcome = dbt_runner.run_dbt(settings, command, night=night, build_schema=BUILD_SCHEMA,
                                 extra_vars=_forecast_vars(forecast_backfill_from))
    return {"success": outcome.success, "nodes": outcome.nodes, "build_schema": how}


def forecast(night: date, full_refresh: bool = False, forecast_backfill_from: date | None = None,
             settings: Settings | None = None) -> dict:
    """The time-series forecast, then the forecast marts (dbt)."""
    settings = settings or load_settings()
    written = forecast_time_series(settings)
    command = ["build", "--exclude-resource-type", "unit_test", "--select", "tag:forecast",
               *dbt_tasks.GATE_REPEAT_EXCLUSIONS]
    if full_refresh:
        command.append("--full-refresh")
    outcome = dbt_runner.run_dbt(settings, command, night=night, build_schema=BUILD_SCHEMA,
                                 extra_vars=_forecast_vars(forecast_backfill_from))
    return {**written, "nodes": outcome.nodes}


def publish_night(night: date, run_id: str, rewind: bool = False, settings: Settings | None = None) -> dict[str, int]:
    tables = swap.publish(settings or load_settings(), night, run_id, rewind=rewind)
    return {t.name: t.rows for t in tables}


def write_report(night: date, run_id: str, settings: Settings | None = None) -> str:
    return str(night_page.write_night_report(settings or load_settings(), night, run_id))
