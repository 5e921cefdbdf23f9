"""The loader's fast path: the file goes to COPY as it is, in chunks checked one step ahead by Arrow.

Python never parses a row on the COPY side. The file is cut into chunks of whole lines; while
COPY consumes chunk k, Arrow checks chunk k+1 against the contract on the other core. The few
bad lines of a chunk are known before it is sent, so they are blanked in the byte stream (every
field empty) and COPY's `where <key> is not null` leaves them out: no delete pass afterwards, and
the line-number sequence still advances over them, so every loaded row keeps its file line. The
partition's defaults fill in the batch and the line number; `_source_file` is derived from the
batch. A file COPY or Arrow cannot read as CSV (wrong field count, bad UTF-8, broken quoting,
blank lines, records spanning lines) goes to the precise, row-by-row path.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from salesops.contracts import Entity
from salesops.ingest.row_checks import SizeLimits

if TYPE_CHECKING:
    from salesops.ingest.arrow_checks import Flag, Rejection

COPY_BUFFER = 1 << 20  # psycopg2's default 8 KiB sends COPY in too many small pieces
CHUNK_BYTES = 16 << 20  # small enough to keep memory flat, big enough that per-COPY overhead vanishes
FIRST_CHUNK_BYTES = 1 << 20  # COPY waits for the first chunk's check, so it is small


class NeedsPreciseLoad(Exception):
    """The fast path cannot vouch for this file; load it row by row."""


@dataclass
class FastLoad:
    records: int = 0
    loaded: int = 0
    lines: int = 1  # the file's physical lines, its header included (a record is one line on this path)
    checksum: str = ""
    rejections: list[Rejection] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


class _CopyStream:
    """A read()-able stream over a chunk's pieces for COPY (the unit the recovery test stalls)."""

    def __init__(self, pieces: list[memoryview]) -> None:
        self._pieces = [piece for piece in pieces if len(piece)]
        self._index = self._at = 0

    def read(self, size: int = -1) -> bytes:
        if self._index == len(self._pieces):
            return b""
        piece = self._pieces[self._index]
        end = len(piece) if size is None or size < 0 else min(len(piece), self._at + size)
        data = bytes(piece[self._at:end])
        self._at = end
        if end == len(piece):
            self._index, self._at = self._index + 1, 0
        return data


@dataclass
class _CheckedChunk:
    first: bool
    records: int
    rejections: list[Rejection]
    flags: list[Flag]
    pieces: list[memoryview]  # the chunk with its rejected records blanked


def _chunks(path: Path) -> Iterator[bytes]:
    """The file in pieces that end at a line break (the last may not), growing to CHUNK_BYTES: COPY
    starts after a short first check, and later pieces keep the per-COPY overhead negligible."""
    rest, size = b"", min(FIRST_CHUNK_BYTES, CHUNK_BYTES)
    with path.open("rb") as handle:
        while block := handle.read(size):
            size = min(2 * size, CHUNK_BYTES)
            if rest:
                block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a chunk: keep reading
                rest = block
                continue
            rest = block[cut:]
            yield block if cut == len(block) else block[:cut]
    if rest:
        yield rest


def _line_count(chunk: bytes) -> int:
    return chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)


def _blanked(chunk: bytes, rejections: list[Rejection], width: int) -> list[memoryview]:
    """The chunk with each rejected record replaced by a line of empty fields (COPY reads all NULLs)."""
    view = memoryview(chunk)
    blank = memoryview(b"," * (width - 1) + b"\n")
    pieces, at = [], 0
    for r in rejections:  # in line order
        pieces += [view[at:r.start], blank]
        at = r.end
    pieces.append(view[at:])
    return pieces


def _checked_chunks(entity: Entity, header: list[str], path: Path, limits: SizeLimits, sha256: hashlib._Hash,
                    ready: queue.Queue) -> None:
    """Producer (on its own thread): read, hash, count and check each chunk, then hand it to COPY."""
    # imported here: pyarrow and numpy are slow to import, and only a load needs them (not every
    # process that imports the loader: the build and publish tasks only analyse or name raw tables)
    from salesops.ingest import arrow_checks

    try:
        line, first = 2, True
        for chunk in _chunks(path):
            lines = _line_count(chunk) - (1 if first else 0)
            sha256.update(chunk)
            if b"\x00" in chunk or b"\xef\xbb\xbf" in (chunk[3:] if first else chunk):
                raise NeedsPreciseLoad("a NUL byte or a byte-order mark inside the file")
            try:
                checked = arrow_checks.check_chunk(entity, header, chunk, first, line, limits)
            except arrow_checks.ArrowCannotRead as exc:
                raise NeedsPreciseLoad(str(exc)) from exc
            if checked.records != lines:
                raise NeedsPreciseLoad(f"Arrow read {checked.records} records in {lines} lines")
            ready.put(_CheckedChunk(first, checked.records, checked.rejections, checked.flags,
                                    _blanked(chunk, checked.rejections, len(header))))
            line, first = line + lines, False
        ready.put(None)
    except BaseException as exc:  # noqa: BLE001 - handed to the COPY side, which raises it
        ready.put(exc)


def _prepare_partition(cur: PgCursor, partition: str) -> sql.Identifier:
    """A line-number sequence as the partition's default, starting at the first data line."""
    sequence = sql.Identifier(f"{partition}__line")
    cur.execute(sql.SQL("create sequence raw.{} start 2 cache 10000").format(sequence))
    cur.execute(sql.SQL("alter table raw.{} alter column _line_number set default nextval({})").format(
        sql.Identifier(partition), sql.Literal(f"raw.{partition}__line")))
    return sequence


def copy_checked(cur: PgCursor, entity: Entity, partition: str, header: list[str], path: Path,
                 limits: SizeLimits) -> FastLoad:
    """COPY the file into the night's partition, leaving out the rows Arrow rejects (returned, by line)."""
    sequence = _prepare_partition(cur, partition)
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in header)
    key = sql.Identifier(entity.primary_key[0])  # never empty in a good row

    def statement(first: bool, filtered: bool) -> str:
        return sql.SQL("copy raw.{} ({}) from stdin with (format csv{}){}").format(
            sql.Identifier(partition), columns, sql.SQL(", header true" if first else ""),
            sql.SQL(" where {} is not null").format(key) if filtered else sql.SQL("")).as_string(cur)

    outcome = FastLoad()
    sha256 = hashlib.sha256()
    ready: queue.Queue = queue.Queue(maxsize=2)  # Arrow works up to two chunks ahead of COPY
    producer = threading.Thread(target=_checked_chunks, args=(entity, header, path, limits, sha256, ready), daemon=True)
    producer.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            cur.copy_expert(statement(item.first, bool(item.rejections)), _CopyStream(item.pieces), size=COPY_BUFFER)
            if cur.rowcount != item.records - len(item.rejections):
                raise NeedsPreciseLoad(f"COPY took {cur.rowcount} of {item.records - len(item.rejections)} records")
            outcome.records += item.records
            outcome.lines += item.records
            outcome.loaded += cur.rowcount
            outcome.rejections += item.rejections
            outcome.flags += item.flags
    finally:
        while producer.is_alive():  # unblock and finish the producer whatever happened here
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
    cur.execute(sql.SQL("alter table raw.{} alter column _line_number drop default").format(
        sql.Identifier(partition)))
    cur.execute(sql.SQL("drop sequence raw.{}").format(sequence))
    outcome.checksum = sha256.hexdigest()
    return outcome


def copy_rejected_rows(cur: PgCursor, entity: Entity, rows_csv) -> None:  # noqa: ANN001 - a text file
    """COPY (batch, file, line, column, reason, raw record) CSV rows into the entity's quarantine table."""
    cur.copy_expert(
        sql.SQL("copy raw.{} (_batch_id, _source_file, _line_number, column_name, reason, raw_record)"
                " from stdin with (format csv)").format(sql.Identifier(f"{entity.key}__rejected")).as_string(cur),
        rows_csv,
        size=COPY_BUFFER,
    )
