"""Vectorised contract checks of a chunk of CSV lines with Arrow, for the loader's fast path.

Arrow finds the rows that may break the contract (quickly, in C++); each of those rows is then
judged again by the precise path's own Python checks, so reasons are identical on both paths.
Dates and timestamps in the canonical shape (2026-11-19, 2026-11-19T08:00:00Z) are checked
byte by byte with numpy; only values in any other shape go through the slower patterns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TIMESTAMP, Column, Entity
from salesops.ingest.row_checks import (
    BOOLEAN_WORDS,
    FORMULA_PATTERN,
    INTEGER_PATTERN,
    NUMERIC_PATTERN,
    TIMESTAMP_PATTERN,
    RowJudge,
    SizeLimits,
    formula_flag,
)

_INTEGER = f"^{INTEGER_PATTERN}$"
_NUMERIC = f"^{NUMERIC_PATTERN}$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
# ISO-8601 shape with valid hours, minutes and seconds; a suspect row is judged again in Python.
_TIMESTAMP = f"^\\s*{TIMESTAMP_PATTERN}\\s*$"
_HOUR_ONLY = r"[T ]\d\d(Z|[+-]\d\d(:?\d\d)?)?$"  # Arrow's cast reads a time without minutes; Postgres does not
_BOOLEANS = pa.array(BOOLEAN_WORDS)


class ArrowCannotRead(Exception):
    """Arrow could not read the chunk as CSV of the header's width."""


@dataclass
class Flag:
    """A loaded value worth a warning (a spreadsheet formula): where it is and why."""

    line: int
    column: str
    reason: str


@dataclass
class Rejection:
    line: int
    column: str | None
    reason: str
    raw: str
    start: int = 0  # byte span of the record in its chunk, line break included
    end: int = 0


def _pattern_suspects(values: pa.Array, type_: str) -> pa.Array:
    """True where a non-null value may not be of the type (a superset of the real failures)."""
    if type_ == INTEGER:
        ok = pc.match_substring_regex(values, _INTEGER)
    elif type_ == NUMERIC:
        ok = pc.match_substring_regex(values, _NUMERIC)
    elif type_ == BOOLEAN:
        ok = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=_BOOLEANS)
    elif type_ == DATE:
        ok = _real_day(values, pc.match_substring_regex(values, _DATE))
    else:  # TIMESTAMP
        ok = _real_day(pc.utf8_slice_codeunits(values, 0, 10), pc.match_substring_regex(values, _TIMESTAMP))
    return pc.fill_null(pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(ok, False))), False)


_DAYS_IN_MONTH = pa.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int32())


def _real_day(days: pa.Array, shaped: pa.Array) -> pa.Array:
    """True where YYYY-MM-DD (already shaped as digits) is a real calendar day, February 29 included."""
    shaped = pc.fill_null(shaped, False)
    days = pc.if_else(shaped, days, "2000-01-01")  # keep the integer casts below safe
    year = pc.cast(pc.utf8_slice_codeunits(days, 0, 4), pa.int32())
    month = pc.cast(pc.utf8_slice_codeunits(days, 5, 7), pa.int32())
    day = pc.cast(pc.utf8_slice_codeunits(days, 8, 10), pa.int32())
    leap = pc.or_(pc.and_(pc.equal(pc.bit_wise_and(year, 3), 0), pc.not_equal(pc.remainder(year, 100), 0)),
                  pc.equal(pc.remainder(year, 400), 0))
    longest = pc.add(pc.take(_DAYS_IN_MONTH, pc.min_element_wise(pc.max_element_wise(month, 0), 12)),
                     pc.cast(pc.and_(leap, pc.equal(month, 2)), pa.int32()))
    in_range = pc.and_(pc.and_(pc.greater_equal(month, 1), pc.less_equal(month, 12)),
                       pc.and_(pc.greater_equal(day, 1), pc.less_equal(day, longest)))
    return pc.and_(pc.and_(shaped, in_range), pc.greater_equal(year, 1))


# The shapes extracts nearly always use, checked byte by byte with numpy: D is a digit.
_CANONICAL = {DATE: "DDDD-DD-DD", TIMESTAMP: "DDDD-DD-DDTDD:DD:DDZ"}
# Arrow's strict ISO-8601 casts accept only values Python accepts too, year 0 aside.
_STRICT_CASTS = {DATE: pa.date32(), TIMESTAMP: pa.timestamp("ns", "UTC")}


def _canonical_rows(values: pa.Array, type_: str) -> np.ndarray:
    """Indices of the values written exactly in the canonical shape and naming a real day and time."""
    layout = _CANONICAL[type_]
    width = len(layout)
    offsets = np.frombuffer(values.buffers()[1], np.int32, count=len(values) + 1, offset=4 * values.offset)
    rows = np.flatnonzero(np.diff(offsets) == width)  # a null has no bytes, so never matches
    data = np.frombuffer(values.buffers()[2], np.uint8)
    if len(data) < width:
        return rows[:0]
    chars = np.lib.stride_tricks.sliding_window_view(data, width)[offsets[rows]]  # (rows, width) bytes
    digit_at = [i for i, c in enumerate(layout) if c == "D"]
    mark_at = [i for i, c in enumerate(layout) if c != "D"]
    ok = ((chars[:, digit_at] - ord("0")) <= 9).all(axis=1)  # a non-digit wraps around past 9
    ok &= (chars[:, mark_at] == np.frombuffer("".join(layout[i] for i in mark_at).encode(), np.uint8)).all(axis=1)
    digits = chars.astype(np.int32) - ord("0")

    def number(first: int, count: int) -> np.ndarray:
        return sum(digits[:, first + i] * 10 ** (count - 1 - i) for i in range(count))

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    longest = np.asarray(_DAYS_IN_MONTH)[np.clip(month, 0, 12)] + (leap & (month == 2))
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= longest)
    if type_ == TIMESTAMP:
        ok &= (number(11, 2) <= 23) & (number(14, 2) <= 59) & (number(17, 2) <= 59)
    return rows[ok]


def _suspect_rows(values: pa.Array, column: Column) -> list[int]:
    """Indices of the values that may not be of the column's type (or too large for what staging stores)."""
    type_ = column.type
    if type_ not in _CANONICAL:
        suspects = _pattern_suspects(values, type_)
        if type_ in (INTEGER, NUMERIC):  # long enough to overflow staging's type, or an exponent: judged in Python
            digits = column.digits if type_ == NUMERIC else 18
            long = pc.or_(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(values)), digits),
                          pc.match_substring_regex(values, "[eE]"))
            suspects = pc.or_(suspects, pc.fill_null(long, False))
        return pc.indices_nonzero(suspects).to_pylist()
    try:
        pc.cast(values, _STRICT_CASTS[type_])  # all or nothing, but fast: the usual case of a clean column
        odd = pc.starts_with(values, "0000")
        if type_ == TIMESTAMP:
            odd = pc.or_(odd, pc.match_substring_regex(values, _HOUR_ONLY))
        return pc.indices_nonzero(pc.fill_null(odd, False)).to_pylist()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    others = np.ones(len(values), bool)
    others[_canonical_rows(values, type_)] = False
    others &= values.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(others)  # any other shape (offsets, fractions, typos) is judged by pattern
    if not len(rows):
        return []
    flagged = pc.indices_nonzero(_pattern_suspects(values.take(pa.array(rows)), type_)).to_numpy()
    return rows[flagged].tolist()


@dataclass
class CheckedChunk:
    records: int
    rejections: list[Rejection]
    flags: list[Flag]


def check_chunk(entity: Entity, header: list[str], chunk: bytes, has_header: bool, first_line: int,
                limits: SizeLimits) -> CheckedChunk:
    """The chunk's records, its rejected rows and its flagged values, in line order, for a chunk of whole
    lines whose header was checked."""
    judge = RowJudge(entity, header, limits)
    required = [name for _, name in judge.required]
    typed = [name for _, name, _ in judge.typed]
    free_text = [name for _, name in judge.free_text]
    needed = list(dict.fromkeys(required + typed))
    try:
        table = pcsv.read_csv(
            pa.py_buffer(chunk),
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1 if has_header else 0,
                                          block_size=4 << 20, use_threads=False),
            parse_options=pcsv.ParseOptions(newlines_in_values=False),
            convert_options=pcsv.ConvertOptions(column_types={name: pa.string() for name in header},
                                                include_columns=list(dict.fromkeys(needed + free_text)),
                                                null_values=[""], strings_can_be_null=True,
                                                quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ArrowCannotRead(f"Arrow could not read the file: {exc}") from exc
    ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == ord("\n"))
    offset = 1 if has_header else 0  # line index in the chunk of record 0

    def span(index: int) -> tuple[int, int]:
        """The record's bytes in the chunk, its line break included."""
        at = index + offset
        return (int(ends[at - 1]) + 1 if at else 0), (int(ends[at]) + 1 if at < len(ends) else len(chunk))

    suspects: set[int] = set()
    starts = np.concatenate(([0], ends + 1))[offset:offset + table.num_rows]
    stops = np.append(ends, len(chunk))[offset:offset + table.num_rows]
    # a row longer than the smaller limit may hold a field or be a row over its limit: judged in Python
    suspects.update(np.flatnonzero(stops - starts > min(limits.field_bytes, limits.row_bytes)).tolist())
    for name in required:
        values = table.column(name).combine_chunks()
        empty = pc.fill_null(pc.or_kleene(pc.is_null(values), pc.utf8_is_space(values)), True)
        suspects.update(pc.indices_nonzero(empty).to_pylist())
    for name in typed:
        suspects.update(_suspect_rows(table.column(name).combine_chunks(), entity.column(name)))
    rejections = []
    for index in sorted(suspects):
        start, end = span(index)
        raw = chunk[start:end].decode("utf-8").rstrip("\r\n").replace("\x00", "\\x00")
        found = judge.verdict(raw, next(csv.reader([raw])))
        if found:
            rejections.append(Rejection(first_line + index, found[0], found[1], raw, start, end))
    rejected = {r.line for r in rejections}
    flags = []
    for name in free_text:
        values = table.column(name).combine_chunks()
        hits = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(values, FORMULA_PATTERN), False))
        for index in hits.to_pylist():
            if first_line + index not in rejected:
                flags.append(Flag(first_line + index, name, formula_flag(values[index].as_py())))
    flags.sort(key=lambda flag: flag.line)
    return CheckedChunk(table.num_rows, rejections, flags)
