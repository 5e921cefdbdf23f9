"""The loader's fast path: COPY the file exactly as it is while a second thread finds the bad rows.

Python never parses a row on the COPY side: the file streams into COPY in 1 MiB chunks (hashed
and its lines counted on the way) and the partition's column defaults fill in the batch, the
source file and the line number. Meanwhile, on the other core, Arrow's CSV reader checks every
value against the contract (vectorised); the few bad rows are then deleted by line number and
quarantined with the precise path's own reasons. If Arrow cannot vouch for the file, one SQL
pass does the checking instead. A file COPY cannot read as CSV (wrong field count, bad UTF-8,
broken quoting), or whose records span several lines (so line numbers would drift), goes to
the precise, row-by-row path.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TIMESTAMP, Entity

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


# Same checks and messages as row_checks.py, as SQL on one text column (null and '' pass).
_CHECKS = {
    INTEGER: ("pg_input_is_valid({c}, 'bigint') and strpos({c}, '_') = 0 and strpos(lower({c}), 'x') = 0",
              "expected a whole number, got "),
    NUMERIC: ("pg_input_is_valid({c}, 'numeric') and strpos(lower({c}), 'n') = 0 and strpos({c}, '_') = 0",
              "expected a number, got "),
    BOOLEAN: ("lower(btrim({c})) in ('true', 'false', 't', 'f', '1', '0', 'yes', 'no', 'y', 'n')",
              "expected true or false, got "),
    DATE: ("length({c}) = 10 and substr({c}, 5, 1) = '-' and substr({c}, 8, 1) = '-'"
           " and pg_input_is_valid({c}, 'date')", "expected an ISO date YYYY-MM-DD, got "),
    # ISO shape (YYYY-MM-DD first), which also keeps out Postgres' words such as 'now' and 'yesterday'.
    TIMESTAMP: ("substr({c}, 5, 1) = '-' and substr({c}, 8, 1) = '-' and pg_input_is_valid({c}, 'timestamptz')",
                "expected an ISO-8601 timestamp, got "),
}


def _rules(entity: Entity, header: list[str]) -> list[tuple[str, str, str]]:
    """(column, SQL that is true when the value is acceptable, SQL for the reason) in precise-path order."""
    known = [name for name in header if name in entity.column_names]
    rules = []
    for name in known:
        if not entity.column(name).nullable:
            c = f'"{name}"'
            rules.append((name, f"coalesce(btrim({c}), '') <> ''", "'expected a value, got an empty field'"))
    for name in known:
        check = _CHECKS.get(entity.column(name).type)
        if check:
            c = f'"{name}"'
            rules.append((name, f"(coalesce({c}, '') = '' or ({check[0].format(c=c)}))",
                          f"'{check[1]}' || quote_literal({c})"))
    return rules


def _csv_field(name: str) -> str:
    c = f'"{name}"'
    return (f"case when {c} is null then '' when {c} = '' or strpos({c}, ',') > 0 or strpos({c}, '\"') > 0"
            f" or strpos({c}, chr(10)) > 0 or strpos({c}, chr(13)) > 0"
            f" then '\"' || replace({c}, '\"', '\"\"') || '\"' else {c} end")


def quarantine_invalid_rows(cur: PgCursor, entity: Entity, partition: str, header: list[str]) -> tuple[int, list]:
    """Move rows that break the contract to the quarantine table; returns (count, first few rejections)."""
    rules = _rules(entity, header)
    if not rules:
        return 0, []
    valid = " and ".join(rule for _, rule, _ in rules)
    column = "case " + " ".join(f"when not {rule} then '{name}'" for name, rule, _ in rules) + " end"
    reason = "case " + " ".join(f"when not {rule} then {why}" for _, rule, why in rules) + " end"
    record = "concat_ws(',', " + ", ".join(_csv_field(name) for name in header) + ")"
    # One scan finds the bad rows (by ctid) and copies them to quarantine; deleting them by ctid is then cheap.
    query = f"""
        with bad as materialized (
            select ctid as row_ctid, _batch_id, _source_file, _line_number, {column} as column_name,
                {reason} as reason, {record} as raw_record
            from raw."{partition}" where not ({valid})
        ), moved as (
            insert into raw."{entity.key}__rejected"
                (_batch_id, _source_file, _line_number, column_name, reason, raw_record)
            select _batch_id, _source_file, _line_number, column_name, reason, raw_record from bad
        )
        select count(*), (array_agg(_source_file || ', line ' || _line_number
            || coalesce(', column ' || column_name, '') || ': ' || reason order by _line_number))[1:5],
            array_agg(row_ctid)
        from bad
    """
    cur.execute(query)
    count, samples, ctids = cur.fetchone()
    if count:
        cur.execute(f'delete from raw."{partition}" where ctid = any(%s::tid[])', (ctids,))
    return count, samples or []


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
    cur.copy_expert(
        sql.SQL("copy raw.{} (_batch_id, _source_file, _line_number, column_name, reason, raw_record)"
                " from stdin with (format csv)").format(sql.Identifier(f"{entity.key}__rejected")).as_string(cur),
        buffer,
        size=COPY_BUFFER,
    )
    # The cast lets Postgres hash the list (one pass), instead of scanning it for every row.
    cur.execute(sql.SQL("delete from raw.{} where _line_number = any(%s::bigint[])").format(sql.Identifier(partition)),
                ([r.line for r in rejections],))
    samples = [f"{source_file}, line {r.line}" + (f", column {r.column}" if r.column else "") + f": {r.reason}"
               for r in rejections[:5]]
    return len(rejections), samples
