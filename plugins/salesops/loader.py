"""Load landing CSV files into raw Postgres tables with COPY, row-level quarantine and a ledger.

Each raw table is partitioned by `_batch_id` (the night), so reloading a night drops and
refills that one partition inside a single transaction: a rerun replaces, never appends,
and a process killed half-way leaves the previous state untouched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from salesops import fast_copy, ledger
from salesops.contracts import ENTITIES, REQUIRED_SOURCES, Entity, entities_of
from salesops.errors import SourceFileError
from salesops.row_checks import value_check

if TYPE_CHECKING:
    from salesops import arrow_checks

log = logging.getLogger(__name__)

COPY_BUFFER = 1 << 20  # psycopg2's default 8 KiB halves COPY throughput
csv.field_size_limit(16 << 20)


@dataclass
class FileResult:
    source: str
    entity: str
    path: str | None
    status: str  # loaded | skipped_unchanged | failed | missing
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    extra_columns: list[str] = field(default_factory=list)
    message: str | None = None
    sample_rejections: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def landing_path(landing_dir: Path, entity: Entity, night: date) -> Path:
    return landing_dir / entity.source / night.isoformat() / f"{entity.name}.csv"


def partition_name(entity: Entity, night: date) -> str:
    return f"{entity.key}__p{night:%Y%m%d}"


def ensure_raw_tables(cur: PgCursor, entity: Entity) -> None:
    """Create the raw table (all text, partitioned by night) and its quarantine table."""
    cur.execute("create schema if not exists raw")
    columns = [sql.SQL("{} text").format(sql.Identifier(name)) for name in entity.column_names]
    cur.execute("show server_version_num")
    if int(cur.fetchone()[0]) >= 180000:
        # Derived from the batch and never stored: a third of the metadata's bytes on every row.
        label = sql.SQL("text generated always as ({} || _batch_id || {}) virtual").format(
            sql.Literal(f"{entity.source}/"), sql.Literal(f"/{entity.name}.csv"))
    else:
        label = sql.SQL("text")  # each partition gets its label as a default instead
    cur.execute(
        sql.SQL(
            "create table if not exists raw.{table} ({columns}, _batch_id text not null, _source_file {label},"
            " _line_number bigint, _loaded_at timestamptz not null default now()) partition by list (_batch_id)"
        ).format(table=sql.Identifier(entity.key), columns=sql.SQL(", ").join(columns), label=label)
    )
    cur.execute(
        sql.SQL(
            "create table if not exists raw.{table} (_batch_id text not null, _source_file text,"
            " _line_number bigint, column_name text, reason text not null, raw_record text,"
            " _loaded_at timestamptz not null default now())"
        ).format(table=sql.Identifier(f"{entity.key}__rejected"))
    )


def source_label(entity: Entity, night: date) -> str:
    """How a row names its file: its place under the landing folder, <source>/<night>/<entity>.csv
    (short, since the quarantine stores it on every row; the ledger keeps the full path)."""
    return f"{entity.source}/{night.isoformat()}/{entity.name}.csv"


def _create_partition(cur: PgCursor, entity: Entity, night: date) -> str:
    """The night's empty partition, whose defaults name its batch (and file, where not derived)."""
    part = partition_name(entity, night)
    cur.execute(
        sql.SQL("create table raw.{} partition of raw.{} for values in (%s)").format(
            sql.Identifier(part), sql.Identifier(entity.key)
        ),
        (night.isoformat(),),
    )
    cur.execute(sql.SQL("alter table raw.{} alter column _batch_id set default {}").format(
        sql.Identifier(part), sql.Literal(night.isoformat())))
    cur.execute("select attgenerated = '' from pg_attribute where attrelid = %s::regclass and attname = '_source_file'",
                (f"raw.{entity.key}",))
    if cur.fetchone()[0]:
        cur.execute(sql.SQL("alter table raw.{} alter column _source_file set default {}").format(
            sql.Identifier(part), sql.Literal(source_label(entity, night))))
    return part


def file_checksum(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise SourceFileError(str(path), "empty file: expected a header row naming the columns", line=1)
    if b"\x00" in head:
        raise SourceFileError(str(path), "not a CSV text file (binary content found)", line=1)
    try:
        first_line = head.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as exc:
        raise SourceFileError(str(path), f"header is not valid UTF-8 ({exc.reason})", line=1) from exc
    header = [name.strip().lower() for name in next(csv.reader([first_line]))]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise SourceFileError(str(path), f"duplicate column(s) in header: {', '.join(duplicates)}", line=1)
    if any(not name for name in header):
        raise SourceFileError(str(path), "header has an empty column name", line=1)
    return header


def check_header(path: Path, entity: Entity, header: list[str]) -> list[str]:
    """Return the extra columns; raise if a required column is missing (naming renames)."""
    expected = set(entity.column_names)
    extra = [name for name in header if name not in expected]
    missing = [col.name for col in entity.columns if col.required and col.name not in header]
    if missing:
        message = f"missing required column(s) {', '.join(missing)}"
        if extra:
            message += f"; unexpected column(s) {', '.join(extra)} (renamed header?)"
        message += f"; expected columns: {', '.join(entity.column_names)}"
        raise SourceFileError(str(path), message, line=1, column=missing[0])
    return extra


class _Spool:
    """Rows destined for one COPY, buffered in memory up to a limit and on disk past it."""

    def __init__(self) -> None:
        self.file = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+", newline="", encoding="utf-8")
        self.writer = csv.writer(self.file, lineterminator="\n")

    def rewind(self) -> tempfile.SpooledTemporaryFile:
        self.file.seek(0)
        return self.file


class _RecordStream(io.TextIOBase):
    """A read()-able stream of validated CSV rows, produced lazily while COPY consumes it."""

    def __init__(self, rows: Iterator[list[str]]) -> None:
        self._rows = rows
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        if size is None or size < 0:
            size = 1 << 62
        buf = self._buffer
        while not self._done and buf.tell() < size:
            try:
                self._writer.writerow(next(self._rows))
            except StopIteration:
                self._done = True
        data = buf.getvalue()
        chunk, rest = data[:size], data[size:]
        buf.seek(0)
        buf.truncate()
        buf.write(rest)
        return chunk


@dataclass
class _Validation:
    """Counts and quarantined rows gathered while streaming one file."""

    rows_read: int = 0
    rows_rejected: int = 0
    samples: list[str] = field(default_factory=list)
    rejected: _Spool = field(default_factory=_Spool)

    def reject(self, meta: tuple[str, str], line: int, column: str | None, reason: str, raw: str) -> None:
        self.rows_rejected += 1
        self.rejected.writer.writerow((meta[0], meta[1], line, column, reason, raw))
        if len(self.samples) < 5:
            self.samples.append(f"{meta[1]}, line {line}" + (f", column {column}" if column else "") + f": {reason}")


def _validated_rows(
    path: Path, entity: Entity, header: list[str], night: date, state: _Validation
) -> Iterator[list[str]]:
    """Yield the good rows (plus metadata) and quarantine the bad ones with their reason."""
    width = len(header)
    meta = (night.isoformat(), source_label(entity, night))
    known = set(entity.column_names)
    required_idx = [(i, name) for i, name in enumerate(header) if name in known and not entity.column(name).nullable]
    typed_idx = [
        (i, name, check)
        for i, name in enumerate(header)
        if name in known and (check := value_check(entity.column(name))) is not None
    ]
    pending: list[str] = []

    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:

        def lines() -> Iterator[str]:
            for text in handle:
                pending.append(text)
                yield text

        reader = csv.reader(lines(), strict=True)
        next(reader)  # header, already checked
        pending.clear()
        while True:
            line = reader.line_num + 1  # a record is numbered by the line it starts on
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                state.rows_read += 1
                raw = "".join(pending)
                pending.clear()
                state.reject(meta, line, None, f"malformed CSV: {exc}", _printable(raw))
                continue
            raw = "".join(pending)
            pending.clear()
            if not row:  # a blank line is not a record
                continue
            state.rows_read += 1
            reason = column = None
            if not raw.isascii():
                try:
                    raw.encode("utf-8")
                except UnicodeEncodeError:
                    reason = "invalid UTF-8 byte sequence: expected UTF-8 text"
            if reason is None and len(row) != width:
                reason = f"wrong number of fields: expected {width}, got {len(row)}"
            if reason is None:
                for i, name in required_idx:
                    if not row[i].strip():
                        reason, column = "expected a value, got an empty field", name
                        break
            if reason is None:
                for i, name, check in typed_idx:
                    value = row[i]
                    if value and (problem := check(value)) is not None:
                        reason, column = problem, name
                        break
            if reason is not None:
                state.reject(meta, line, column, reason, _printable(raw))
                continue
            row.append(str(line))
            yield row


def _printable(raw: str) -> str:
    """Raw record text safe to store: undecodable bytes shown as \\xNN escapes."""
    text = raw.rstrip("\r\n").encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.replace("\x00", "\\x00")  # Postgres text cannot hold NUL


def _drop_batch(cur: PgCursor, entity: Entity, night: date) -> None:
    part = partition_name(entity, night)
    cur.execute(sql.SQL("drop table if exists raw.{}").format(sql.Identifier(part)))
    cur.execute(
        sql.SQL("delete from raw.{} where _batch_id = %s").format(sql.Identifier(f"{entity.key}__rejected")),
        (night.isoformat(),),
    )


def _copy_rejected(cur: PgCursor, entity: Entity, spool: _Spool) -> None:
    fast_copy.copy_rejected_rows(cur, entity, spool.rewind())


def _quarantine(cur: PgCursor, entity: Entity, night: date, rejections: list[arrow_checks.Rejection]) -> list[str]:
    """Keep the rows the fast path left out, with their line, column and reason; returns the first few."""
    state = _Validation()
    meta = (night.isoformat(), source_label(entity, night))
    for r in rejections:
        state.reject(meta, r.line, r.column, r.reason, r.raw)
    if rejections:
        _copy_rejected(cur, entity, state.rejected)
    return state.samples


def _reject_whole_file(cur: PgCursor, entity: Entity, path: Path, night: date, reason: str) -> int:
    """Keep every record of an unusable file in quarantine, so none is lost; returns the count."""
    state = _Validation()
    meta = (night.isoformat(), source_label(entity, night))
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        for number, text in enumerate(handle, start=1):
            if number == 1 or not text.strip():
                continue
            state.rows_read += 1
            state.reject(meta, number, None, reason, _printable(text))
    _copy_rejected(cur, entity, state.rejected)
    return state.rows_read


def load_file(conn: PgConnection, entity: Entity, path: Path, night: date, force: bool = False) -> FileResult:
    """Load one landing file as the night's batch of its raw table (one transaction)."""
    started = datetime.now(UTC)
    result = FileResult(entity.source, entity.name, str(path), "loaded")
    size = path.stat().st_size
    with conn.cursor() as cur:
        ledger.ensure_ledger(cur)
        ensure_raw_tables(cur, entity)
        conn.commit()
        previous = ledger.previous_load(cur, night, entity.source, entity.name)
        # Hash up front only when a same-sized file was loaded before; otherwise COPY hashes on the way.
        if not force and previous and previous[1] == size and file_checksum(path) == previous[0]:
            result.status = "skipped_unchanged"
            result.message = "already loaded with the same checksum"
            return result
        try:
            header = _read_header(path)
            extra = check_header(path, entity, header)
        except SourceFileError as exc:
            conn.rollback()
            _drop_batch(cur, entity, night)
            result.status, result.message = "failed", str(exc)
            result.rows_read = result.rows_rejected = _reject_whole_file(cur, entity, path, night, str(exc))
            _record(cur, result, night, file_checksum(path), size, started)
            conn.commit()
            return result
        result.extra_columns = extra
        for name in extra:  # schema drift: keep the new column, report it
            cur.execute(
                sql.SQL("alter table raw.{} add column if not exists {} text").format(
                    sql.Identifier(entity.key), sql.Identifier(name)
                )
            )
        _drop_batch(cur, entity, night)
        part = _create_partition(cur, entity, night)
        cur.execute("savepoint fast_path")
        try:
            fast = fast_copy.copy_checked(cur, entity, part, header, path)
            result.sample_rejections = _quarantine(cur, entity, night, fast.rejections)
            cur.execute("release savepoint fast_path")
            checksum = fast.checksum
            result.rows_read, result.rows_rejected, result.rows_loaded = fast.records, len(fast.rejections), fast.loaded
        except (psycopg2.DataError, fast_copy.NeedsPreciseLoad) as exc:
            cur.execute("rollback to savepoint fast_path")
            log.info("%s: loading row by row (%s)", path, str(exc).splitlines()[0])
            checksum = file_checksum(path)
            _load_row_by_row(cur, entity, part, header, path, night, result)
        if result.rows_rejected:
            result.message = f"{result.rows_rejected} row(s) quarantined in {entity.rejected_table}"
        if extra:
            note = f"extra column(s) kept: {', '.join(extra)}"
            result.message = f"{result.message}; {note}" if result.message else note
        _record(cur, result, night, checksum, size, started)
    conn.commit()
    return result


def _load_row_by_row(cur: PgCursor, entity: Entity, part: str, header: list[str], path: Path, night: date,
                     result: FileResult) -> None:
    """The precise path: parse and check every row in Python, stream the good ones to COPY."""
    state = _Validation()
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in (*header, "_line_number"))
    stream = _RecordStream(_validated_rows(path, entity, header, night, state))
    cur.copy_expert(
        sql.SQL("copy raw.{} ({}) from stdin with (format csv)").format(sql.Identifier(part), columns).as_string(cur),
        stream,
        size=COPY_BUFFER,
    )
    result.rows_read, result.rows_rejected = state.rows_read, state.rows_rejected
    result.rows_loaded = cur.rowcount
    result.sample_rejections = state.samples
    if state.rows_rejected:
        _copy_rejected(cur, entity, state.rejected)


def _record(
    cur: PgCursor, result: FileResult, night: date, checksum: str | None, size: int | None, started: datetime
) -> None:
    ledger.record(
        cur,
        ledger.LedgerEntry(
            night=night,
            source=result.source,
            entity=result.entity,
            file_path=result.path,
            checksum_sha256=checksum,
            size_bytes=size,
            rows_read=result.rows_read,
            rows_loaded=result.rows_loaded,
            rows_rejected=result.rows_rejected,
            extra_columns=result.extra_columns,
            status=result.status,
            message=result.message,
            started_at=started,
            finished_at=datetime.now(UTC),
        ),
    )


def load_entity(conn: PgConnection, landing_dir: Path, entity: Entity, night: date,
                force: bool = False) -> FileResult:
    """Load one extract of a night; a missing file is recorded in the ledger, not raised."""
    path = landing_path(landing_dir, entity, night)
    if not path.exists():
        result = FileResult(entity.source, entity.name, str(path), "missing", message=f"no file at {path}")
        with conn.cursor() as cur:
            ledger.ensure_ledger(cur)
            _record(cur, result, night, None, None, datetime.now(UTC))
        conn.commit()
    else:
        result = load_file(conn, entity, path, night, force=force)
    log.info("%s/%s: %s read=%s loaded=%s rejected=%s %s", entity.source, entity.name, result.status,
             result.rows_read, result.rows_loaded, result.rows_rejected, result.message or "")
    for sample in result.sample_rejections:
        log.warning("rejected: %s", sample)
    return result


# A parent's statistics are refreshed once its partitions hold this much more (or less) than it was
# analysed with: a 1% night changes no plan, and sampling every partition of a parent costs seconds
# (19 s a night at --scale 1 for the 14 parents, most of an incremental night's dbt start).
STALE_PARENT_SHARE = 0.10


def analyze_night(conn: PgConnection, night: date) -> None:
    """Refresh the planner's statistics before dbt reads the raw tables: the night's fresh partitions,
    and each partitioned table as a whole when its statistics are stale (autovacuum never analyses a
    partitioned parent; without it the planner guesses 200 distinct keys for 2M leads and picks joins
    that take 40 s instead of 5)."""
    with conn.cursor() as cur:
        for entity in ENTITIES:
            partition = partition_name(entity, night)
            cur.execute("select to_regclass(%s)", (f"raw.{partition}",))
            if cur.fetchone()[0] is not None:
                cur.execute(sql.SQL("analyze raw.{}").format(sql.Identifier(partition)))
            if _parent_statistics_stale(cur, entity.key):
                cur.execute(sql.SQL("analyze raw.{}").format(sql.Identifier(entity.key)))
    conn.commit()


def _parent_statistics_stale(cur: PgCursor, parent: str) -> bool:
    """True when the parent was never analysed or its partitions' row count moved by more than
    STALE_PARENT_SHARE since (reltuples: what the last analyze of each table counted)."""
    cur.execute(
        """
        select parent.reltuples, coalesce(sum(greatest(child.reltuples, 0)), 0)
        from pg_class as parent
        left join pg_inherits on pg_inherits.inhparent = parent.oid
        left join pg_class as child on child.oid = pg_inherits.inhrelid
        where parent.oid = to_regclass(%s)
        group by parent.reltuples
        """,
        (f"raw.{parent}",),
    )
    row = cur.fetchone()
    if row is None:
        return False  # no such table (an entity never loaded)
    analysed_with, now_held = row
    if analysed_with <= 0:
        return now_held > 0 or analysed_with < 0
    return abs(now_held - analysed_with) > STALE_PARENT_SHARE * analysed_with


def check_source(source: str, results: list[FileResult], folder: str) -> None:
    """Stop the night when a required source has a failed file or a required file is missing."""
    required = {e.name for e in entities_of(source) if e.required_for_night}
    problems = [
        r for r in results
        if (r.status == "failed" and source in REQUIRED_SOURCES) or (r.status == "missing" and r.entity in required)
    ]
    if problems:
        raise SourceFileError(
            folder, "; ".join(f"{r.entity}: {r.message}" for r in problems) + f" (source {source} is required)"
        )
    for r in results:
        if r.status == "failed":
            log.warning("%s/%s failed but %s is not a required source: the night carries on (%s)", source,
                        r.entity, source, r.message)


def load_source(conn: PgConnection, landing_dir: Path, source: str, night: date,
                force: bool = False) -> list[FileResult]:
    """Load every extract of one source for a night; raise if the source cannot go on (see check_source)."""
    folder = landing_dir / source / night.isoformat()
    known = {entity.name for entity in entities_of(source)}
    if folder.is_dir():
        for stray in sorted(p.name for p in folder.glob("*.csv") if p.stem not in known):
            log.warning("%s: no contract for %s, file ignored", folder, stray)
    results = [load_entity(conn, landing_dir, entity, night, force) for entity in entities_of(source)]
    check_source(source, results, str(folder))
    return results
