"""meta.load_ledger: one row per landing file and night, so nothing is ever lost unseen.

Invariant, checked by tests and by the raw quality suite: rows_read = rows_loaded + rows_rejected, and
lines_read counts the file's physical lines (header, blank lines and records spanning lines included), so a
reader sees the records cover the whole file. A file in a night's folder that no contract names is in the
ledger too (`ignored`). meta.load_flags lists the loaded values worth a warning, by line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from psycopg2.extensions import cursor as PgCursor


@dataclass
class LedgerEntry:
    night: date
    source: str
    entity: str
    file_path: str | None
    checksum_sha256: str | None
    size_bytes: int | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    lines_read: int
    rows_flagged: int
    extra_columns: list[str]
    status: str
    message: str | None
    started_at: datetime
    finished_at: datetime




def previous_load(cur: PgCursor, night: date, source: str, entity: str) -> tuple[str, int] | None:
    """(checksum, size) of the file loaded successfully for this night, if any."""
    cur.execute(
        "select checksum_sha256, size_bytes from meta.load_ledger "
        "where night = %s and source = %s and entity = %s and status = 'loaded'",
        (night, source, entity),
    )
    row = cur.fetchone()
    return (row[0], row[1]) if row else None


def record(cur: PgCursor, entry: LedgerEntry) -> None:
    """Insert or replace the night's row for this file (a rerun replaces, never adds)."""
    cur.execute(
        """
        insert into meta.load_ledger (
            night, source, entity, file_path, checksum_sha256, size_bytes, rows_read, rows_loaded,
            rows_rejected, lines_read, rows_flagged, extra_columns, status, message, started_at, finished_at,
            duration_seconds
        ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (night, source, entity) do update set
            file_path = excluded.file_path, checksum_sha256 = excluded.checksum_sha256,
            size_bytes = excluded.size_bytes, rows_read = excluded.rows_read,
            rows_loaded = excluded.rows_loaded, rows_rejected = excluded.rows_rejected,
            lines_read = excluded.lines_read, rows_flagged = excluded.rows_flagged,
            extra_columns = excluded.extra_columns, status = excluded.status, message = excluded.message,
            started_at = excluded.started_at, finished_at = excluded.finished_at,
            duration_seconds = excluded.duration_seconds
        """,
        (
            entry.night, entry.source, entry.entity, entry.file_path, entry.checksum_sha256, entry.size_bytes,
            entry.rows_read, entry.rows_loaded, entry.rows_rejected, entry.lines_read, entry.rows_flagged,
            entry.extra_columns, entry.status,
            entry.message, entry.started_at, entry.finished_at,
            round((entry.finished_at - entry.started_at).total_seconds(), 3),
        ),
    )


def record_flags(cur: PgCursor, night: date, source: str, entity: str, flags: list[tuple[int, str, str]]) -> None:
    """Replace the night's flagged values of one file: (line, column, reason) each."""
    cur.execute("delete from meta.load_flags where night = %s and source = %s and entity = %s", (night, source, entity))
    if flags:
        from psycopg2.extras import execute_values

        execute_values(cur, "insert into meta.load_flags (night, source, entity, line_number, column_name, reason)"
                       " values %s", [(night, source, entity, *flag) for flag in flags], page_size=1000)
