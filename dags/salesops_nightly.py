"""
### salesops_nightly

The nightly refresh of the Sales Operations warehouse, for the run's logical date (the *night*):

1. **prepare**: make sure the warehouse answers (starts the embedded one in a local setup) and the
   `bi_reader` grants exist;
2. **ingest_crm / ingest_contracts / ingest_hr** (task groups, in parallel): `wait_for_<source>`
   (a deferrable sensor on `landing/<source>/<night>/*.csv`; a required source that never arrives fails
   the night at the timeout, an optional one is skipped and its files recorded as missing), one mapped
   `load` per extract COPYs it into `raw` (load ledger, row-level quarantine), then `check` stops the
   night if a required source (crm, hr) could not be loaded;
3. **validate_raw**: Great Expectations suites on the night's raw batches; a critical failure stops here;
4. **dbt_prepare**: statistics for the fresh partitions; the night's private build schema `marts_build`
   (the previous-but-one published marts, recycled, so incremental models only catch up; trigger with
   `{"full_refresh": true}` to rebuild everything);
5. **dbt_staging -> dbt_snapshots -> dbt_intermediate -> dbt_marts** (astronomer-cosmos, rendered from
   `dbt_project/target/manifest.json`): one task per model, `dbt build` of the model and its tests, so
   a failing model is visible and retried on its own (the mart tests that validate_marts repeats run
   there only);
6. **forecast** (the statsmodels time series, Python) then **dbt_forecast** (the forecast marts);
7. **validate_marts**: GX suites on `marts_build`;
8. **publish**: atomic swap of `marts_build` into `marts` (write-audit-publish); updates an Airflow
   Asset per published mart (`salesops://warehouse/marts/<table>`) for downstream DAGs;
9. **report**: the one-page HTML summary of the night next to the Data Docs (runs on failure too).

Every task is idempotent for its night: rerun a failed night, or backfill a range
(`salesops backfill --from D1 --to D2`), safely. A night still running
`SALESOPS_NIGHT_DEADLINE_HOURS` (8) after its start raises a deadline alert. Logic lives in
`plugins/salesops/`; this file only wires it.
"""

from __future__ import annotations

from datetime import date, datetime

from airflow.sdk import Param, dag, get_current_context, task, task_group

from salesops.contracts import REQUIRED_SOURCES, SOURCES, entities_of
from salesops.orchestration import dag_parts
from salesops.transform import dbt_tasks

DEFAULT_ARGS = dag_parts.default_args()


def _build_options() -> dict:
    """The run's options (trigger conf)."""
    params = get_current_context()["params"]
    backfill = params.get("forecast_backfill_from")
    return {"full_refresh": bool(params.get("full_refresh")), "rewind": bool(params.get("rewind")),
            "forecast_backfill_from": date.fromisoformat(backfill) if backfill else None}


def _run_id() -> str:
    return get_current_context()["run_id"]


@dag(
    dag_id="salesops_nightly",
    schedule="@daily",
    # early: a night before start_date gets no task at all, and `salesops run`/backfill of a past night
    # (history loaded late, or a dataset from 2017) would "succeed" without doing anything. catchup=False
    # keeps the scheduler from running the nights in between.
    start_date=datetime(2000, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
    tags=["salesops", "nightly", "warehouse"],
    deadline=dag_parts.night_deadline(),
    params={
        "full_refresh": Param(False, type="boolean", description="rebuild every mart from scratch"),
        "rewind": Param(False, type="boolean",
                        description="publish even though marts holds a later night (moves BI back in time)"),
        "forecast_backfill_from": Param(None, type=["null", "string"], format="date",
                                        description="also forecast as of every accuracy day since this date"),
    },
)
def salesops_nightly() -> None:
    @task
    def prepare() -> str:
        from salesops.orchestration import nightly

        with nightly.night_task(first=True):  # a scheduled run takes the night lock here
            return nightly.prepare()

    # none_failed: when an optional source's sensor gave up (skipped), the loads record its files as missing.
    @task(map_index_template="{{ entity_name }}", trigger_rule="none_failed")
    def load(source: str, entity_name: str) -> dict:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.ingest_file(source, entity_name, dag_parts.night())

    @task(trigger_rule="none_failed")
    def check(source: str, results: list[dict]) -> dict:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.check_source(source, dag_parts.night(), list(results))

    def ingest(source: str) -> object:
        """A task group per source: one mapped load per extract, then the source's verdict."""

        @task_group(group_id=f"ingest_{source}")
        def group() -> None:
            names = [e.name for e in entities_of(source)]
            loads = load.partial(source=source).expand(entity_name=names)
            dag_parts.landing_sensor(source, required=source in REQUIRED_SOURCES) >> loads
            check(source, loads)

        return group()  # the TaskGroup itself, so `>>` links its first and last tasks

    @task
    def validate_raw() -> dict:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.validate("raw", dag_parts.night(), _run_id())

    @task
    def dbt_prepare() -> str:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.prepare_build(dag_parts.night(), full_refresh=_build_options()["full_refresh"])

    @task
    def relationship_tests() -> dict:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.relationship_tests(dag_parts.night())

    @task
    def forecast() -> dict:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.forecast_time_series()

    @task
    def validate_marts() -> dict:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.validate("marts", dag_parts.night(), _run_id())

    @task(outlets=dag_parts.mart_assets())
    def publish() -> dict:
        from salesops.orchestration import nightly

        with nightly.night_task():
            return nightly.publish_night(dag_parts.night(), _run_id(), rewind=_build_options()["rewind"])

    # Runs whatever happened upstream: a failed night gets its report too.
    @task(trigger_rule="all_done")
    def report() -> str:
        from salesops.orchestration import nightly

        with nightly.night_task(last=True):  # and gives it back here
            return nightly.write_report(dag_parts.night(), _run_id())

    # The run's verdict: fails when publishing did not happen, even though the report ran.
    @task
    def night_complete(tables: dict, report_path: str) -> None:
        print(f"published {len(tables)} table(s); report at {report_path}")

    ready = prepare()
    loads = [ingest(source) for source in SOURCES]
    published = publish()
    report_path = report()
    dbt = {layer: dbt_tasks.layer_group(layer, DEFAULT_ARGS) for layer in dbt_tasks.LAYERS}
    (ready >> loads >> validate_raw() >> dbt_prepare()
     >> dbt["dbt_staging"] >> dbt["dbt_snapshots"] >> dbt["dbt_intermediate"] >> dbt["dbt_marts"]
     >> relationship_tests() >> forecast() >> dbt["dbt_forecast"] >> validate_marts() >> published >> report_path)
    night_complete(published, report_path)


salesops_nightly()
