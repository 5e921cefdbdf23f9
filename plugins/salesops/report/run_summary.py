"""What happened on a night, read back from the warehouse's meta tables.

Both the CLI's printed summary and the HTML report are built from this, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from psycopg2 import sql

from salesops import warehouse
from salesops.config import Settings
from salesops.contracts import BY_KEY, Entity
from salesops.quality.gx_safety import REDACTED


@dataclass
class NightSummary:
    night: date
    run_id: str | None
    files: list[dict] = field(default_factory=list)
    rejected_samples: list[dict] = field(default_factory=list)
    checks: dict[str, dict] = field(default_factory=dict)  # layer -> counts
    failed_checks: list[dict] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=dict)
    published_at: str | None = None
    forecast_notes: list[dict] = field(default_factory=list)  # scopes the time series could not model as usual


def _table_exists(cur, qualified: str) -> bool:  # noqa: ANN001
    cur.execute("select to_regclass(%s) is not null", (qualified,))
    return cur.fetchone()[0]


def _shown_rejection(entity: Entity, column: str | None, reason: str, raw: str) -> dict[str, str]:
    """A quarantined row as the report shows it: a file holding personal data shows no record, and a
    reason about a personal column no value (engineers read the quarantine table itself)."""
    if not entity.personal_columns:
        return {"reason": reason, "raw": raw}
    if column in entity.personal_columns and ", got " in reason:
        reason = reason.split(", got ", 1)[0] + f", got {REDACTED}"
    return {"reason": reason, "raw": f"[withheld: {entity.name}.csv holds personal data; see {entity.rejected_table}]"}


def summarize(settings: Settings, night: date, run_id: str | None = None, since: datetime | None = None
              ) -> NightSummary:
    """The night's files, checks and publication; run_id None means the latest run of that night, and
    `since` (a run's start) keeps an earlier run's checks and publication out of the summary of a run that
    did not get that far (its files loaded earlier, unchanged since, are marked `earlier`)."""
    summary = NightSummary(night, run_id)
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        if _table_exists(cur, "meta.load_ledger"):
            cur.execute(
                "select source, entity, status, rows_read, rows_loaded, rows_rejected, coalesce(message, ''),"
                " array_to_string(extra_columns, ', '), finished_at < %s"
                " from meta.load_ledger where night = %s order by source, entity",
                (since or datetime.min.replace(tzinfo=UTC), night),
            )
            keys = ("source", "entity", "status", "rows_read", "rows_loaded", "rows_rejected", "message", "extra",
                    "earlier")
            summary.files = [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
        for f in summary.files:
            if f["rows_rejected"]:
                entity = BY_KEY[f"{f['source']}__{f['entity']}"]
                cur.execute(
                    sql.SQL("select _line_number, column_name, reason, left(raw_record, 200) from raw.{}"
                            " where _batch_id = %s order by _line_number limit 10").format(
                        sql.Identifier(entity.rejected_table.split(".")[1])),
                    (night.isoformat(),),
                )
                for line, column, reason, raw in cur.fetchall():
                    summary.rejected_samples.append({
                        "file": f"{f['source']}/{night}/{f['entity']}.csv", "line": line, "column": column,
                        **_shown_rejection(entity, column, reason, raw),
                    })
        if _table_exists(cur, "meta.dq_results"):
            if summary.run_id is None:
                cur.execute("select run_id from meta.dq_results where night = %s and checked_at >= %s"
                            " order by checked_at desc limit 1", (night, since or datetime.min.replace(tzinfo=UTC)))
                row = cur.fetchone()
                summary.run_id = row[0] if row else None
            cur.execute(
                "select layer, count(*), count(*) filter (where success),"
                " count(*) filter (where not success and severity = 'critical'),"
                " count(*) filter (where not success and severity <> 'critical')"
                " from meta.dq_results where run_id = %s group by layer order by layer desc",
                (summary.run_id,),
            )
            for layer, total, passed, critical, warning in cur.fetchall():
                summary.checks[layer] = {"checks": total, "passed": passed, "critical_failed": critical,
                                         "warnings_failed": warning}
            cur.execute(
                "select layer, suite, expectation, column_name, severity, unexpected_count, sample_bad_values,"
                " element_count, details ->> 'file', details -> 'lines'"
                " from meta.dq_results where run_id = %s and not success"
                " order by severity, layer desc, suite",
                (summary.run_id,),
            )
            keys = ("layer", "suite", "expectation", "column", "severity", "unexpected_count", "sample", "observed",
                    "file", "lines")
            summary.failed_checks = [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
        if _table_exists(cur, "meta.publish_log") and summary.run_id:
            cur.execute(
                "select tables, published_at from meta.publish_log where run_id = %s"
                " and action in ('publish', 'rewind')"
                " order by published_at desc limit 1",
                (summary.run_id,),
            )
            row = cur.fetchone()
            if row:
                summary.published, summary.published_at = dict(row[0]), row[1].isoformat(timespec="seconds")
        if _table_exists(cur, "forecast.time_series_notes"):
            cur.execute("select scope, model, note from forecast.time_series_notes where as_of_date = %s"
                        " order by scope", (night,))
            summary.forecast_notes = [dict(zip(("scope", "model", "note"), row, strict=True))
                                      for row in cur.fetchall()]
    return summary


def format_text(summary: NightSummary, verbose: bool = False) -> str:
    """The short plain-text summary `salesops run` prints (`verbose`: with every table published)."""
    lines = [f"Night {summary.night} (run {summary.run_id or '-'})", "", "Files:",
             f"  {'file':<32} {'status':<17} {'read':>10} {'loaded':>10} {'rejected':>9}"]
    for f in summary.files:
        if f["status"] == "missing":
            continue
        note = f"  {f['message']}" if f["message"] else ""
        name = f"{f['source']}/{f['entity']}"
        status = "unchanged" if f.get("earlier") and f["status"] == "loaded" else f["status"]
        lines.append(f"  {name:<32} {status:<17} {f['rows_read'] or 0:>10,} {f['rows_loaded'] or 0:>10,}"
                     f" {f['rows_rejected'] or 0:>9,}{note}")
    missing = [f"{f['source']}/{f['entity']}" for f in summary.files if f["status"] == "missing"]
    if missing:
        lines.append(f"  (no file tonight: {', '.join(missing)})")
    lines.append("")
    lines.append("Checks:")
    for layer, c in summary.checks.items():
        lines.append(f"  {layer:<6} {c['passed']}/{c['checks']} passed, {c['critical_failed']} critical failed,"
                     f" {c['warnings_failed']} warning(s)")
    for check in summary.failed_checks:
        column = f" [{check['column']}]" if check["column"] else ""
        # a table's expectation (a row count) has no bad rows: what it observed
        found = (f"{check['unexpected_count']} bad" if check["unexpected_count"] is not None
                 else f"observed {check['observed']}")
        where = f" at {check['file']} line(s) {', '.join(map(str, check['lines']))}" if check["lines"] else ""
        lines.append(f"    {check['severity']:<8} {check['suite']}: {check['expectation']}{column} ({found}){where}")
    if summary.forecast_notes:
        lines.append("")
        lines.append("Forecast (time series):")
        lines.extend(f"  {n['scope']:<24} {n['model']:<10} {n['note']}" for n in summary.forecast_notes)
    lines.append("")
    if summary.published and verbose:
        lines.append(f"Published to marts at {summary.published_at}:")
        lines.extend(f"  marts.{name:<32} {rows:>9,} rows" for name, rows in sorted(summary.published.items()))
    elif summary.published:
        total = sum(summary.published.values())
        lines.append(f"Published to marts at {summary.published_at}: {len(summary.published)} tables,"
                     f" {total:,} rows (--verbose lists them; `salesops show <table>` prints one)")
    else:
        lines.append("Nothing published for this run: marts still holds the last good night.")
    return "\n".join(lines)
