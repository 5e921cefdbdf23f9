"""Weekly upkeep (the salesops_maintenance DAG): retention, vacuum/analyze, the docs site.

Retention never loses data a rebuild of a night inside the retention needs. A raw batch (a night's
partition) older than the cutoff is dropped only when every row in it has a later version of its key
in a batch also before the cutoff (staging keeps the latest version per key up to the night, so no
night from the cutoff on can see it); event extracts (activities, history) are never superseded, so
they stay. Nights before the cutoff can then no longer be rebuilt exactly: that is what retention means.
Quarantined rows, night pages and data-quality results older than the retention go; the load
ledger (one row per file) is kept forever.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from psycopg2 import sql

from salesops import warehouse
from salesops.config import PUBLISHED_SCHEMA, Settings, load_settings
from salesops.contracts import ENTITIES
from salesops.ingest.loader import partition_name

log = logging.getLogger(__name__)


def retention_days() -> int:
    return load_settings().retention_days


@dataclass
class PruneResult:
    cutoff: date
    partitions_dropped: list[str] = field(default_factory=list)
    partitions_kept: dict[str, str] = field(default_factory=dict)  # partition -> why
    rejected_rows_deleted: int = 0
    files_deleted: int = 0

    def as_dict(self) -> dict:
        return {"cutoff": self.cutoff.isoformat(), "partitions_dropped": self.partitions_dropped,
                "partitions_kept": len(self.partitions_kept), "rejected_rows_deleted": self.rejected_rows_deleted,
                "files_deleted": self.files_deleted}


def _columns(alias: str, names: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(c)) for c in names)


def _old_batches(cur: object, table: str, cutoff: date) -> list[date]:
    cur.execute("select to_regclass(%s) is not null", (f"raw.{table}",))
    if not cur.fetchone()[0]:
        return []
    cur.execute(sql.SQL("select distinct _batch_id from raw.{} where _batch_id < %s order by 1")
                .format(sql.Identifier(table)), (cutoff.isoformat(),))  # _batch_id: the night, ISO text
    return [row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0])) for row in cur.fetchall()]


def prune_raw(today: date, settings: Settings | None = None, days: int | None = None) -> PruneResult:
    """Drop raw batches older than the retention whose every row has a later version; delete old quarantine."""
    settings = settings or load_settings()
    result = PruneResult(cutoff=today - timedelta(days=days if days is not None else retention_days()))
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        for entity in ENTITIES:
            for batch in _old_batches(cur, entity.key, result.cutoff):
                partition = partition_name(entity, batch)
                cur.execute(sql.SQL(
                    "select count(*) from raw.{part} as old where not exists ("
                    " select 1 from raw.{table} as newer where newer._batch_id > old._batch_id"
                    " and newer._batch_id <= %s and ({newer_key}) = ({old_key}))"
                ).format(part=sql.Identifier(partition), table=sql.Identifier(entity.key),
                         newer_key=_columns("newer", entity.primary_key), old_key=_columns("old", entity.primary_key)),
                    (result.cutoff.isoformat(),))
                current = cur.fetchone()[0]
                if current:
                    result.partitions_kept[partition] = f"{current} row(s) are still the latest version of their key"
                    continue
                cur.execute(sql.SQL("drop table raw.{}").format(sql.Identifier(partition)))
                result.partitions_dropped.append(partition)
            cur.execute("select to_regclass(%s) is not null", (entity.rejected_table,))
            if cur.fetchone()[0]:
                cur.execute(sql.SQL("delete from raw.{} where _batch_id < %s")
                            .format(sql.Identifier(f"{entity.key}__rejected")), (result.cutoff.isoformat(),))
                result.rejected_rows_deleted += cur.rowcount
    log.info("raw retention (before %s): dropped %d batch(es), kept %d still current, deleted %d quarantined row(s)",
             result.cutoff, len(result.partitions_dropped), len(result.partitions_kept), result.rejected_rows_deleted)
    return result


def prune_reports(today: date, settings: Settings | None = None, days: int | None = None) -> int:
    """Delete night pages, forecast pictures and GX results older than the retention; returns files deleted."""
    settings = settings or load_settings()
    cutoff = today - timedelta(days=days if days is not None else retention_days())
    deleted = 0
    for folder, pattern in (("nights", "*.html"), ("forecast", "*.png")):
        for path in (settings.reports_dir / folder).glob(pattern):
            try:
                night = date.fromisoformat(path.stem)
            except ValueError:
                continue
            if night < cutoff:
                path.unlink()
                deleted += 1
    oldest = time.time() - (today - cutoff).days * 86400
    for folder in (settings.home / "gx_results", settings.reports_dir / "data_docs" / "validations"):
        for path in folder.rglob("*") if folder.exists() else []:
            if path.is_file() and path.stat().st_mtime < oldest:
                path.unlink()
                deleted += 1
    if deleted:
        from salesops.report import night_page

        night_page.refresh_index(settings)
    log.info("report retention (before %s): deleted %d file(s)", cutoff, deleted)
    return deleted


def vacuum_analyze(settings: Settings | None = None) -> list[str]:
    """VACUUM (ANALYZE) the schemas the nights write to (dead rows from reloads, fresh statistics)."""
    settings = settings or load_settings()
    conn = warehouse.connect(settings)
    conn.autocommit = True  # VACUUM cannot run in a transaction
    done = []
    try:
        with conn.cursor() as cur:
            cur.execute("select schemaname, relname from pg_stat_user_tables"
                        " where schemaname = any(%s) order by 1, 2", (["raw", "meta", "snapshots", PUBLISHED_SCHEMA],))
            for schema, table in cur.fetchall():
                cur.execute(sql.SQL("vacuum (analyze) {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
                done.append(f"{schema}.{table}")
    finally:
        conn.close()
    log.info("vacuum (analyze): %d table(s)", len(done))
    return done


def rebuild_docs(settings: Settings | None = None) -> Path:
    from salesops.transform import docs_site

    return docs_site.generate(settings or load_settings())
