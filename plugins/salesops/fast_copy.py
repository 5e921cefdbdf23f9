"""The loader's fast path: COPY the file exactly as it is while a second thread finds the bad rows.

Python never parses a row on the COPY side: the file streams into COPY in 1 MiB chunks (hashed
and its lines counted on the way) and the partition's column defaults fill in the batch, the
source file and the line number. Meanwhile, on the other core, Arrow's CSV reader checks every
value against the contract (vectorised); the few bad rows are then deleted by line number and
quarantined with the precise path's own reasons. A file COPY or Arrow cannot read as CSV (wrong
field count, bad UTF-8, broken quoting), or whose records span several lines (so line numbers
would drift), goes to the precise, row-by-row path.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from salesops.contracts import Entity

COPY_BUFFER = 1 << 20


class NeedsPreciseLoad(Exception):
    """The fast path cannot vouch for this file; load it row by row."""


class _CountingReader:
    """File reader for COPY that hashes the bytes and counts lines as they go by."""

    def __init__(self, handle) -> None:  # noqa: ANN001 - a binary file
        self._handle = handle
        self.sha256 = hashlib.sha256()
        self.newlines = 0
        self.last = b""

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        if data:
            self.sha256.update(data)
            self.newlines += data.count(b"\n")
            self.last = data[-1:]
        return data

    def lines(self) -> int:
        return self.newlines + (1 if self.last not in (b"", b"\n") else 0)


def copy_file_as_is(cur: PgCursor, entity: Entity, partition: str, header: list[str], path: Path,
                    night: str, source_file: str) -> tuple[int, str]:
    """COPY the whole file into the night's partition; returns (records, sha256 of the file)."""
    table = sql.Identifier(partition)
    sequence = sql.Identifier(f"{partition}__line")
    cur.execute(sql.SQL("create sequence raw.{} start 2 cache 10000").format(sequence))
    cur.execute(
        sql.SQL("alter table raw.{} alter column _batch_id set default {}, alter column _source_file set default {},"
                " alter column _line_number set default nextval({})").format(
            table, sql.Literal(night), sql.Literal(source_file), sql.Literal(f"raw.{partition}__line"))
    )
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in header)
    with path.open("rb") as handle:
        reader = _CountingReader(handle)
        cur.copy_expert(
            sql.SQL("copy raw.{} ({}) from stdin with (format csv, header true)").format(table, columns)
            .as_string(cur),
            reader,
            size=COPY_BUFFER,
        )
    records = cur.rowcount
    cur.execute(sql.SQL("alter table raw.{} alter column _line_number drop default").format(table))
    cur.execute(sql.SQL("drop sequence raw.{}").format(sequence))
    if reader.lines() != records + 1:
        raise NeedsPreciseLoad(f"{reader.lines()} lines for {records} records (blank lines or multi-line fields)")
    return records, reader.sha256.hexdigest()


def copy_rejected_rows(cur: PgCursor, entity: Entity, rows_csv) -> None:  # noqa: ANN001 - a text file
    """COPY (batch, file, line, column, reason, raw record) CSV rows into the entity's quarantine table."""
    cur.copy_expert(
        sql.SQL("copy raw.{} (_batch_id, _source_file, _line_number, column_name, reason, raw_record)"
                " from stdin with (format csv)").format(sql.Identifier(f"{entity.key}__rejected")).as_string(cur),
        rows_csv,
        size=COPY_BUFFER,
    )


def quarantine_lines(cur: PgCursor, entity: Entity, partition: str, rejections: list, night: str,
                     source_file: str) -> tuple[int, list[str]]:
    """Move the rows Arrow found (by line number) to the quarantine table; returns (count, first few)."""
    if not rejections:
        return 0, []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for r in rejections:
        writer.writerow((night, source_file, r.line, r.column, r.reason, r.raw))
    buffer.seek(0)
    copy_rejected_rows(cur, entity, buffer)
    # The cast lets Postgres hash the list (one pass), instead of scanning it for every row.
    cur.execute(sql.SQL("delete from raw.{} where _line_number = any(%s::bigint[])").format(sql.Identifier(partition)),
                ([r.line for r in rejections],))
    samples = [f"{source_file}, line {r.line}" + (f", column {r.column}" if r.column else "") + f": {r.reason}"
               for r in rejections[:5]]
    return len(rejections), samples
