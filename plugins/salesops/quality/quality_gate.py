"""Run a layer's GX checkpoint (its suites in worker processes, gx_workers), keep every result in
meta.dq_results, and stop on critical failures."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg2
from psycopg2.extras import execute_values

from salesops import schema, warehouse
from salesops.config import Settings
from salesops.contracts import ENTITIES
from salesops.errors import QualityGateError
from salesops.ingest.loader import source_label
from salesops.publish import access
from salesops.quality import gx_safety, gx_workers
from salesops.quality.gx_project import CHECKPOINTS, get_context
from salesops.quality.quality_suites import (
    AUDIT_SCHEMA,
    audit_view_sql,
    facts_written_whole,
    failing_lines_sql,
    ledger_balance_view_sql,
    mart_check_views_sql,
    raw_suite_name,
)

log = logging.getLogger(__name__)



@dataclass
class CheckResult:
    suite: str
    expectation: str
    column: str | None
    rule: str | None
    severity: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    sample: list  # what BI and the reports may see (personal values masked)
    details: dict = field(default_factory=dict)
    restricted_sample: list | None = None  # the real values of a personal column's check, for engineers only
    kwargs: dict = field(default_factory=dict)  # the expectation's arguments (which rows it counts)

    def describe(self) -> str:
        target = f" on {self.column}" if self.column else ""
        count = f": {self.unexpected_count} bad row(s)" if self.unexpected_count is not None else ""
        sample = f", e.g. {self.sample[:5]}" if self.sample else ""
        lines = self.details.get("lines")
        where = f" at {self.details['file']} line(s) {', '.join(map(str, lines))}" if lines else ""
        return f"{self.suite}: {self.expectation}{target} failed{count}{where}{sample}"


@dataclass
class GateResult:
    layer: str
    night: date
    run_id: str
    checks: list[CheckResult]

    @property
    def passed(self) -> int:
        return sum(c.success for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.success]

    @property
    def critical_failures(self) -> list[CheckResult]:
        return [c for c in self.failed if c.severity == "critical"]

    def summary(self) -> dict:
        return {
            "layer": self.layer, "night": self.night.isoformat(), "run_id": self.run_id,
            "checks": len(self.checks), "passed": self.passed, "failed": len(self.failed),
            "critical_failures": [c.describe() for c in self.critical_failures],
            "warnings": [c.describe() for c in self.failed if c.severity != "critical"],
        }


def prepare_audit_views(settings: Settings, night: date) -> None:
    """Point the typed audit views at the night's batch of every raw table."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(f"create schema if not exists {AUDIT_SCHEMA}")
        schema.ensure_ledger(cur)
        for entity in ENTITIES:
            schema.ensure_raw_tables(cur, entity)
            cur.execute(audit_view_sql(entity, night.isoformat()))
        cur.execute(ledger_balance_view_sql(night.isoformat()))


def prepare_mart_check_views(settings: Settings, night: date) -> None:
    """Point the cross-table check views (reconciliation, freshness) at the night's build."""
    from salesops.config import BUILD_SCHEMA

    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(f"create schema if not exists {AUDIT_SCHEMA}")
        whole = facts_written_whole(cur, BUILD_SCHEMA, night.isoformat())
        for statement in mart_check_views_sql(night.isoformat(), BUILD_SCHEMA, whole):
            cur.execute(statement)


def _check_from_result(suite: str, result) -> CheckResult:  # noqa: ANN001 - GX result type
    config = result.expectation_config
    kwargs = config.kwargs
    details = result.result or {}
    column = kwargs.get("column") or (", ".join(kwargs["column_list"]) if "column_list" in kwargs else None)
    if column is None and "column_A" in kwargs:
        column = f"{kwargs['column_A']} >= {kwargs['column_B']}"
    sample = [v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
              for v in details.get("partial_unexpected_list") or []][:20]
    personal = gx_safety.is_personal(suite, kwargs)
    exception = (result.exception_info or {}).get("exception_message") if not result.success else None
    if exception and gx_safety.holds_personal_data(suite):
        exception = gx_safety.WITHHELD
    return CheckResult(
        suite=suite,
        expectation=config.type,
        column=column,
        rule=(config.meta or {}).get("rule"),
        severity=str(getattr(config.severity, "value", config.severity) or "critical"),
        success=bool(result.success),
        element_count=details.get("element_count", details.get("observed_value")),
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        sample=gx_safety.masked(sample) if personal else sample,
        details={"exception": exception} if exception else {},
        restricted_sample=sample if personal and sample else None,
        kwargs=dict(kwargs),
    )


def run_gate(settings: Settings, layer: str, night: date, run_id: str | None = None) -> GateResult:
    """Validate a layer ('raw' or 'marts'), record every result, raise on a critical failure."""
    run_id = run_id or f"{night.isoformat()}_{uuid.uuid4().hex[:8]}"
    if layer == "raw":
        prepare_audit_views(settings, night)
    else:
        prepare_mart_check_views(settings, night)
    context = get_context(settings)
    runs = gx_workers.run_checkpoint(context, CHECKPOINTS[layer], run_id, _run_time(night), _check_from_result,
                                     workers=settings.gx_workers)
    # one Data Docs build for the whole layer: this run's pages and the index
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    context.build_data_docs(resource_identifiers=[ValidationResultIdentifier.from_tuple(r.result_key) for r in runs])
    gate = GateResult(layer, night, run_id, [check for r in runs for check in r.checks])
    if layer == "raw":
        locate_failing_lines(settings, gate)
    record_results(settings, gate)
    for check in gate.failed:
        log.warning("%s check failed (%s): %s", layer, check.severity, check.describe())
    log.info("%s gate: %d checks, %d passed, %d failed (%d critical)", layer, len(gate.checks), gate.passed,
             len(gate.failed), len(gate.critical_failures))
    if gate.critical_failures:
        raise QualityGateError(
            f"{len(gate.critical_failures)} critical {layer} check(s) failed for {night}: "
            + "; ".join(c.describe() for c in gate.critical_failures)
        )
    return gate


def locate_failing_lines(settings: Settings, gate: GateResult) -> None:
    """Name the file and the first lines of the rows each failed raw check counted (details: file, lines)."""
    by_suite = {raw_suite_name(entity): entity for entity in ENTITIES}
    failed = [check for check in gate.failed if check.suite in by_suite]
    if not failed:
        return
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        for check in failed:
            entity = by_suite[check.suite]
            query = failing_lines_sql(entity, check.expectation, check.kwargs)
            if query is None:
                continue
            cur.execute("savepoint locating")
            try:
                cur.execute(query, {"night": gate.night.isoformat()})
            except psycopg2.Error as exc:  # the lines are a help, never a reason for the gate to fail
                cur.execute("rollback to savepoint locating")
                log.warning("could not locate the lines of %s %s on %s: %s", check.suite, check.expectation,
                            check.column, type(exc).__name__)
                continue
            check.details.update(file=source_label(entity, gate.night), lines=[row[0] for row in cur.fetchall()])


def _run_time(night: date) -> datetime:
    """GX files a run's results under its run time: the night's, so a rerun replaces its pages."""
    return datetime(night.year, night.month, night.day, tzinfo=UTC)


def record_results(settings: Settings, gate: GateResult) -> None:
    """Replace this run's rows for the layer in meta.dq_results (rerunning a gate never duplicates)."""
    now = datetime.now(UTC)
    rows = [
        (gate.run_id, gate.night, gate.layer, c.suite, c.expectation, c.column, c.rule, c.severity, c.success,
         c.element_count if isinstance(c.element_count, int) else None, c.unexpected_count, c.unexpected_percent,
         json.dumps(c.sample, default=str), json.dumps(c.details, default=str), now)
        for c in gate.checks
    ]
    restricted = [
        (gate.run_id, gate.night, gate.layer, c.suite, c.expectation, c.column, json.dumps(c.restricted_sample,
         default=str), now)
        for c in gate.checks if c.restricted_sample
    ]
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(schema.DQ_RESULTS_DDL)
        access.grant_meta(cur)  # BI reads dq_results from the first night on, not from the night after
        for table in ("dq_results", "dq_samples_restricted"):
            cur.execute(f"delete from meta.{table} where run_id = %s and layer = %s", (gate.run_id, gate.layer))
        if restricted:
            execute_values(
                cur,
                "insert into meta.dq_samples_restricted (run_id, night, layer, suite, expectation, column_name,"
                " sample_bad_values, checked_at) values %s",
                restricted,
            )
        execute_values(
            cur,
            "insert into meta.dq_results (run_id, night, layer, suite, expectation, column_name, rule, severity,"
            " success, element_count, unexpected_count, unexpected_percent, sample_bad_values, details, checked_at)"
            " values %s",
            rows,
        )
