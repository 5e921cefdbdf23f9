"""
### salesops_maintenance

Weekly upkeep of the Sales Operations warehouse (logic in `plugins/salesops/orchestration/maintenance.py`):

1. **prune_raw**: drop raw batches older than `SALESOPS_RETENTION_DAYS` (400) whose every row has a
   later version of its key (so no rebuild needs them; event extracts are kept), and old quarantined rows;
2. **prune_reports**: night pages, forecast pictures and GX results older than the retention;
3. **vacuum_analyze**: `VACUUM (ANALYZE)` of raw, meta, snapshots and marts;
4. **rebuild_docs**: the dbt docs site against the published marts.

Each step is idempotent: rerun it any time.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task

from salesops.orchestration import dag_parts

DEFAULT_ARGS = dag_parts.default_args()


@dag(
    dag_id="salesops_maintenance",
    schedule="@weekly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    default_args=DEFAULT_ARGS,
    tags=["salesops", "maintenance"],
)
def salesops_maintenance() -> None:
    @task
    def prune_raw() -> dict:
        from salesops.orchestration import maintenance, nightly

        with nightly.night_task(first=True):  # never beside a night: the warehouse's lock, taken here
            return maintenance.prune_raw(dag_parts.night()).as_dict()

    @task
    def prune_reports() -> int:
        from salesops.orchestration import maintenance, nightly

        with nightly.night_task():
            return maintenance.prune_reports(dag_parts.night())

    @task
    def vacuum_analyze() -> int:
        from salesops.orchestration import maintenance, nightly

        with nightly.night_task():
            return len(maintenance.vacuum_analyze())

    @task(trigger_rule="all_done")  # whatever happened before, the lock is given back here
    def rebuild_docs() -> str:
        from salesops.orchestration import maintenance, nightly

        with nightly.night_task(last=True):
            return str(maintenance.rebuild_docs())

    prune_raw() >> prune_reports() >> vacuum_analyze() >> rebuild_docs()


salesops_maintenance()
