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
import os
import re
import stat
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from salesops import schema
from salesops.config import load_settings
from salesops.contracts import ENTITIES, REQUIRED_SOURCES, Entity, entities_of
from salesops.errors import SourceFileError
from salesops.ingest import fast_copy, ledger
from salesops.ingest.row_checks import RowJudge, SizeLimits

if TYPE_CHECKING:
    from salesops.ingest import arrow_checks

log = logging.getLogger(__name__)

COPY_BUFFER = 1 << 20  # psycopg2's default 8 KiB sends COPY in too many small pieces
csv.field_size_limit(sys.maxsize)  # a long field is quarantined with its size (SizeLimits), not a parse error
# The columns the loader adds to every raw row: a file can never set them (a header naming one fails).
LINEAGE_COLUMNS = ("_batch_id", "_source_file", "_line_number", "_loaded_at")
IDENTIFIER_BYTES = 63  # Postgres cuts longer column names, and two long names could become one


@dataclass
class FileResult:
    source: str
    entity: str
    path: str | None
    status: str  # loaded | skipped_unchanged | failed | missing
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    lines_read: int = 0  # physical lines, the header's included: what read = loaded + rejected covers
    rows_flagged: int = 0  # loaded, with a warning (a value a spreadsheet would run as a formula)
    extra_columns: list[str] = field(default_factory=list)
    message: str | None = None
    sample_rejections: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def landing_path(landing_dir: Path, entity: Entity, night: date) -> Path:
    return landing_dir / entity.source / night.isoformat() / f"{entity.name}.csv"


def partition_name(entity: Entity, night: date) -> str:
    return f"{entity.key}__p{night:%Y%m%d}"




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
    if "\r" in first_line:
        raise SourceFileError(str(path), "lines end in a bare CR (old Mac style): expected LF or CRLF line ends",
                              line=1)
    try:
        return [name.strip().lower() for name in next(csv.reader([first_line]))]
    except csv.Error as exc:
        raise SourceFileError(str(path), f"header is not a CSV record ({exc})", line=1) from exc


def check_header(path: Path, entity: Entity, header: list[str]) -> list[str]:
    """Return the extra columns; raise if the first line is not this entity's header (naming what is wrong)."""
    expected = set(entity.column_names)
    where = str(path)
    if not expected.intersection(header):
        raise SourceFileError(where, f"line 1 is not a header: none of its {len(header)} field(s) names a column of"
                              f" {entity.name} (is the header row missing?); expected a header such as: "
                              f"{','.join(entity.column_names)}", line=1)
    reserved = [name for name in header if name.startswith("_")]
    if reserved:
        raise SourceFileError(where, f"column(s) {', '.join(reserved)}: names starting with '_' belong to the"
                              f" loader's lineage columns ({', '.join(LINEAGE_COLUMNS)}), which a file cannot set",
                              line=1, column=reserved[0])
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise SourceFileError(where, f"duplicate column(s) in header: {', '.join(duplicates)}", line=1)
    if any(not name for name in header):
        raise SourceFileError(where, "header has an empty column name", line=1)
    extra = [name for name in header if name not in expected]
    too_long = [name for name in extra if len(name.encode()) > IDENTIFIER_BYTES]
    if too_long:
        raise SourceFileError(where, f"column name longer than {IDENTIFIER_BYTES} bytes: {too_long[0]!r}", line=1,
                              column=too_long[0][:IDENTIFIER_BYTES])
    missing = [col.name for col in entity.columns if col.required and col.name not in header]
    if missing:
        message = f"missing required column(s) {', '.join(missing)}"
        if extra:
            message += f"; unexpected column(s) {', '.join(extra)} (renamed header?)"
        message += f"; expected columns: {', '.join(entity.column_names)}"
        raise SourceFileError(where, message, line=1, column=missing[0])
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
    """Counts, quarantined rows and flagged values gathered while streaming one file."""

    rows_read: int = 0
    rows_rejected: int = 0
    lines_read: int = 0
    samples: list[str] = field(default_factory=list)
    rejected: _Spool = field(default_factory=_Spool)
    flags: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, reason)

    def reject(self, meta: tuple[str, str], line: int, column: str | None, reason: str, raw: str) -> None:
        self.rows_rejected += 1
        self.rejected.writer.writerow((meta[0], meta[1], line, column, reason, raw))
        if len(self.samples) < 5:
            self.samples.append(f"{meta[1]}, line {line}" + (f", column {column}" if column else "") + f": {reason}")


class _Lines:
    """A file's physical lines, numbered, for csv.reader; the lines of a record it should not have taken
    (a quote never closed swallows the lines after it) can be handed back and read again."""

    def __init__(self, handle: io.TextIOBase) -> None:
        self._handle = handle
        self._again: deque[tuple[int, str]] = deque()
        self.count = 0  # lines taken from the file so far
        self.taken: list[tuple[int, str]] = []  # (number, text) of the record being read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            item = self._again.popleft()
        else:
            text = next(self._handle)
            self.count += 1
            item = (self.count, text)
        self.taken.append(item)
        return item[1]

    def read_again(self, items: list[tuple[int, str]]) -> None:
        self._again.extendleft(reversed(items))


def _swallowed(taken: list[tuple[int, str]], width: int) -> bool:
    """A record spanning lines whose later lines each read as a whole record of the file's width: two stray
    quotes, not a field with a line break in it (whose continuation is the rest of one record)."""
    return all(len(next(csv.reader([text]), [])) == width for _, text in taken[1:])


def _validated_rows(
    path: Path, entity: Entity, header: list[str], night: date, state: _Validation, limits: SizeLimits
) -> Iterator[list[str]]:
    """Yield the good rows (plus metadata) and quarantine the bad ones with their reason."""
    meta = (night.isoformat(), source_label(entity, night))
    judge = RowJudge(entity, header, limits)

    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        lines = _Lines(handle)
        reader = csv.reader(lines, strict=True)
        next(reader)  # header, already checked
        while True:
            lines.taken = []
            try:
                row = next(reader)
                error = None
            except StopIteration:
                break
            except csv.Error as exc:
                row, error = None, exc
            taken = lines.taken
            line = taken[0][0]  # a record is numbered by the line it starts on
            if len(taken) > 1 and (error is not None or len(row) != judge.width or _swallowed(taken, judge.width)):
                # A quote opened on this line and never closed (or closed lines later) took the lines after
                # it: only this line is bad. It is quarantined alone and the rest is read again.
                lines.read_again(taken[1:])
                state.rows_read += 1
                found = f"got {len(row)} fields" if error is None else str(error)
                state.reject(meta, line, None, f"malformed CSV: a quoted field opened on this line is not closed"
                             f" before the next record ({found} reading on to line {taken[-1][0]}); expected"
                             f" {judge.width} fields on one line", _printable(taken[0][1]))
                continue
            raw = "".join(text for _, text in taken)
            if error is not None:
                state.rows_read += 1
                state.reject(meta, line, None, f"malformed CSV: {error}", _printable(raw))
                continue
            if not row:  # a blank line is not a record
                continue
            state.rows_read += 1
            reason = column = None
            if not raw.isascii():
                try:
                    raw.encode("utf-8")
                except UnicodeEncodeError:
                    reason = "invalid UTF-8 byte sequence: expected UTF-8 text"
            if reason is None and (found := judge.verdict(raw, row)) is not None:
                column, reason = found
            if reason is not None:
                state.reject(meta, line, column, reason, _printable(raw))
                continue
            state.flags += [(line, name, why) for name, why in judge.flags(row)]
            row.append(str(line))
            yield row
        state.lines_read = lines.count


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
    ledger.record_flags(cur, night, entity.source, entity.name, [])


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


def _reject_whole_file(cur: PgCursor, entity: Entity, path: Path, night: date, reason: str) -> _Validation:
    """Keep every line of an unusable file in quarantine, its first included (it may be data, not a header),
    so none is lost."""
    state = _Validation()
    meta = (night.isoformat(), source_label(entity, night))
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        for number, text in enumerate(handle, start=1):
            state.lines_read = number
            if not text.strip():
                continue
            state.rows_read += 1
            state.reject(meta, number, None, reason, _printable(text))
    _copy_rejected(cur, entity, state.rejected)
    return state


def _fail_file(conn: PgConnection, cur: PgCursor, entity: Entity, path: Path, night: date, result: FileResult,
               reason: str, started: datetime) -> FileResult:
    """The whole file is unusable: nothing of it in raw, every line in quarantine, a `failed` ledger row."""
    conn.rollback()
    _drop_batch(cur, entity, night)
    state = _reject_whole_file(cur, entity, path, night, reason)
    result.status, result.message, result.extra_columns, result.rows_loaded = "failed", reason, [], 0
    result.rows_read, result.rows_rejected, result.lines_read = state.rows_read, state.rows_rejected, state.lines_read
    result.rows_flagged, result.sample_rejections = 0, state.samples
    _record(cur, result, night, file_checksum(path), path.stat().st_size, started)
    conn.commit()
    return result


def load_file(conn: PgConnection, entity: Entity, path: Path, night: date, force: bool = False,
              limits: SizeLimits | None = None) -> FileResult:
    """Load one landing file as the night's batch of its raw table (one transaction)."""
    started = datetime.now(UTC)
    result = FileResult(entity.source, entity.name, str(path), "loaded")
    size = path.stat().st_size
    if limits is None:
        settings = load_settings()
        limits = SizeLimits(settings.max_field_bytes, settings.max_row_bytes)
    with conn.cursor() as cur:
        schema.ensure_ledger(cur)
        schema.ensure_raw_tables(cur, entity)
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
            return _fail_file(conn, cur, entity, path, night, result, str(exc), started)
        try:
            checksum = _load_checked(cur, entity, path, night, header, extra, limits, result)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            raise  # the warehouse, not the file: the task retries
        except psycopg2.Error as exc:
            problem = (exc.pgerror or str(exc)).strip().splitlines()[0]
            return _fail_file(conn, cur, entity, path, night, result,
                              f"{path}: the warehouse refused the file ({problem})", started)
        _record(cur, result, night, checksum, size, started)
    conn.commit()
    return result


def _load_checked(cur: PgCursor, entity: Entity, path: Path, night: date, header: list[str], extra: list[str],
                  limits: SizeLimits, result: FileResult) -> str:
    """The night's partition filled with the file's good rows (fast path, else row by row), its bad rows in
    quarantine and its formula-like values flagged; returns the file's checksum."""
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
        fast = fast_copy.copy_checked(cur, entity, part, header, path, limits)
        result.sample_rejections = _quarantine(cur, entity, night, fast.rejections)
        cur.execute("release savepoint fast_path")
        checksum = fast.checksum
        result.rows_read, result.rows_rejected, result.rows_loaded = fast.records, len(fast.rejections), fast.loaded
        result.lines_read = fast.lines
        flags = [(f.line, f.column, f.reason) for f in fast.flags]
    except (psycopg2.DataError, fast_copy.NeedsPreciseLoad) as exc:
        cur.execute("rollback to savepoint fast_path")
        log.info("%s: loading row by row (%s)", path, str(exc).splitlines()[0])
        checksum = file_checksum(path)
        flags = _load_row_by_row(cur, entity, part, header, path, night, result, limits)
    result.rows_flagged = len(flags)
    ledger.record_flags(cur, night, entity.source, entity.name, flags)
    notes = []
    if result.rows_rejected:
        notes.append(f"{result.rows_rejected} row(s) quarantined in {entity.rejected_table}")
    if flags:
        line, column, reason = flags[0]
        notes.append(f"{len(flags)} value(s) flagged in meta.load_flags, e.g. line {line}, column {column}: {reason}")
    if extra:
        notes.append(f"extra column(s) kept: {', '.join(extra)}")
    result.message = "; ".join(notes) or None
    return checksum


def _load_row_by_row(cur: PgCursor, entity: Entity, part: str, header: list[str], path: Path, night: date,
                     result: FileResult, limits: SizeLimits) -> list[tuple[int, str, str]]:
    """The precise path: parse and check every row in Python, stream the good ones to COPY; returns the flags."""
    state = _Validation()
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in (*header, "_line_number"))
    stream = _RecordStream(_validated_rows(path, entity, header, night, state, limits))
    cur.copy_expert(
        sql.SQL("copy raw.{} ({}) from stdin with (format csv)").format(sql.Identifier(part), columns).as_string(cur),
        stream,
        size=COPY_BUFFER,
    )
    result.rows_read, result.rows_rejected, result.lines_read = state.rows_read, state.rows_rejected, state.lines_read
    result.rows_loaded = cur.rowcount
    result.sample_rejections = state.samples
    if state.rows_rejected:
        _copy_rejected(cur, entity, state.rejected)
    return state.flags


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
            lines_read=result.lines_read,
            rows_flagged=result.rows_flagged,
            extra_columns=result.extra_columns,
            status=result.status,
            message=result.message,
            started_at=started,
            finished_at=datetime.now(UTC),
        ),
    )


def unusable_path(landing_dir: Path, path: Path) -> str | None:
    """Why a landing path must not be read at all, or None: only regular files inside the landing folder are
    (a link could pull in any file the pipeline can read, its secrets included; a FIFO or a device never ends)."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot be examined ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return "is a symbolic link: landing files must be regular files (links are never followed)"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a directory, a pipe or a device): expected a CSV file"
    if not path.resolve().is_relative_to(landing_dir.resolve()):
        return "lies outside the landing folder (a linked folder): expected a file inside it"
    if not os.access(path, os.R_OK):
        return "cannot be read: permission denied"
    return None


def load_entity(conn: PgConnection, landing_dir: Path, entity: Entity, night: date,
                force: bool = False) -> FileResult:
    """Load one extract of a night; a missing file is recorded in the ledger, not raised."""
    path = landing_path(landing_dir, entity, night)
    present = path.is_symlink() or path.exists()
    problem = unusable_path(landing_dir, path) if present else None
    if problem:  # nothing of it is read
        result = FileResult(entity.source, entity.name, str(path), "failed", message=f"{path}: {problem}")
        with conn.cursor() as cur:
            schema.ensure_ledger(cur)
            schema.ensure_raw_tables(cur, entity)
            _drop_batch(cur, entity, night)
            _record(cur, result, night, None, None, datetime.now(UTC))
        conn.commit()
    elif not present:
        message = f"no file at {path}"
        if strays := _stray_files(landing_dir, entity.source, night):
            message += f" (files there that no contract names: {', '.join(repr(p.name) for p in strays)})"
        if odd := _folders_not_nights(landing_dir / entity.source):
            message += f" (folders that are not a night's YYYY-MM-DD and are never read: {', '.join(odd)})"
        result = FileResult(entity.source, entity.name, str(path), "missing", message=message)
        with conn.cursor() as cur:
            schema.ensure_ledger(cur)
            _record(cur, result, night, None, None, datetime.now(UTC))
        conn.commit()
    else:
        result = load_file(conn, entity, path, night, force=force)
    log.info("%s/%s: %s read=%s loaded=%s rejected=%s %s", entity.source, entity.name, result.status,
             result.rows_read, result.rows_loaded, result.rows_rejected, result.message or "")
    for sample in result.sample_rejections:
        log.warning("rejected: %s", sample)
    return result


_NIGHT_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _folders_not_nights(source_dir: Path) -> list[str]:
    """The folders of a source no night will ever read (not named as a real day YYYY-MM-DD)."""
    odd = []
    for folder in sorted(p for p in source_dir.iterdir() if p.is_dir()) if source_dir.is_dir() else []:
        try:
            if _NIGHT_FOLDER.match(folder.name) and date.fromisoformat(folder.name):
                continue
        except ValueError:
            pass
        odd.append(repr(folder.name))
    return odd


def _stray_files(landing_dir: Path, source: str, night: date) -> list[Path]:
    folder = landing_dir / source / night.isoformat()
    expected = {f"{entity.name}.csv" for entity in entities_of(source)}
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name not in expected) if folder.is_dir() else []


def record_ignored_files(conn: PgConnection, landing_dir: Path, source: str, night: date) -> list[FileResult]:
    """Every file in the night's folder that no contract names is in the ledger as `ignored`, so a
    misnamed extract (`Opportunities.csv`, `opportunities (1).csv`) is seen, never silently left behind."""
    folder = landing_dir / source / night.isoformat()
    expected = {f"{entity.name}.csv" for entity in entities_of(source)}
    results = []
    with conn.cursor() as cur:
        schema.ensure_ledger(cur)
        cur.execute("delete from meta.load_ledger where night = %s and source = %s and status = 'ignored'",
                    (night, source))
        for stray in _stray_files(landing_dir, source, night):
            message = (f"no contract for {stray.name!r}: not loaded (the extracts of {source} are "
                       f"{', '.join(sorted(expected))})")
            log.warning("%s: %s", folder, message)
            result = FileResult(source, stray.name, str(stray), "ignored", message=message)
            _record(cur, result, night, None, stray.lstat().st_size, datetime.now(UTC))
            results.append(result)
    conn.commit()
    return results


# A parent's statistics are refreshed once its partitions hold this much more (or less) than it was
# analysed with: a 1% night changes no plan, and sampling every partition of every parent each night
# would weigh on an incremental night's dbt start.
STALE_PARENT_SHARE = 0.10


def analyze_night(conn: PgConnection, night: date) -> None:
    """Refresh the planner's statistics before dbt reads the raw tables: the night's fresh partitions,
    and each partitioned table as a whole when its statistics are stale (autovacuum never analyses a
    partitioned parent; without it the planner guesses 200 distinct keys (its default) for the whole
    leads table and picks joins far slower than it needs)."""
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
    record_ignored_files(conn, landing_dir, source, night)
    results = [load_entity(conn, landing_dir, entity, night, force) for entity in entities_of(source)]
    check_source(source, results, str(folder))
    return results
