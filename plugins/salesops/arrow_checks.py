"""Vectorised contract checks of a whole CSV file with Arrow, for the loader's fast path.

Arrow finds the rows that may break the contract (quickly, in C++); each of those rows is then
judged again by the precise path's own Python checks, so reasons are identical on both paths.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TIMESTAMP, Entity
from salesops.row_checks import BOOLEAN_WORDS, INTEGER_PATTERN, NUMERIC_PATTERN, value_check

_INTEGER = f"^{INTEGER_PATTERN}$"
_NUMERIC = f"^{NUMERIC_PATTERN}$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
# ISO-8601 shape with valid hours, minutes and seconds; a suspect row is judged again in Python.
_TIMESTAMP = (r"^\d{4}-\d{2}-\d{2}([T ]([01]\d|2[0-3])(:?[0-5]\d(:?[0-5]\d([.,]\d{1,6})?)?)?)?"
              r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?$")
_BOOLEANS = pa.array(BOOLEAN_WORDS)


@dataclass
class Rejection:
    line: int
    column: str | None
    reason: str
    raw: str


def _suspect(values: pa.Array, type_: str) -> pa.Array:
    """True where a non-empty value may not be of the type (a superset of the real failures)."""
    if type_ == INTEGER:
        ok = pc.match_substring_regex(values, _INTEGER)
    elif type_ == NUMERIC:
        ok = pc.match_substring_regex(values, _NUMERIC)
    elif type_ == BOOLEAN:
        ok = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=_BOOLEANS)
    elif type_ == DATE:
        ok = _real_day(values, pc.match_substring_regex(values, _DATE))
    elif type_ == TIMESTAMP:
        ok = _real_day(pc.utf8_slice_codeunits(values, 0, 10), pc.match_substring_regex(values, _TIMESTAMP))
    else:
        return pc.equal(values, "__never__")
    return pc.and_(pc.not_equal(values, ""), pc.invert(pc.fill_null(ok, False)))


_DAYS_IN_MONTH = pa.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int32())


def _real_day(days: pa.Array, shaped: pa.Array) -> pa.Array:
    """True where YYYY-MM-DD (already shaped as digits) is a real calendar day, February 29 included."""
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
    return pc.and_(shaped, in_range)


def _raw_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


def find_rejections(entity: Entity, header: list[str], path: Path) -> tuple[int, list[Rejection]]:
    """(records read, rejected rows) for a file whose header was already checked; raises on unreadable CSV."""
    known = [name for name in header if name in entity.column_names]
    required = [name for name in known if not entity.column(name).nullable]
    typed = [name for name in known if value_check(entity.column(name)) is not None]
    read = pcsv.ReadOptions(column_names=header, skip_rows=1, block_size=2 << 20, use_threads=False)
    convert = pcsv.ConvertOptions(column_types={name: pa.string() for name in header}, strings_can_be_null=False,
                                  quoted_strings_can_be_null=False)
    records = 0
    rejections: list[Rejection] = []
    with pcsv.open_csv(path, read_options=read, convert_options=convert,
                       parse_options=pcsv.ParseOptions(newlines_in_values=False)) as reader:
        for batch in reader:
            flags = pa.nulls(batch.num_rows, pa.bool_()).fill_null(False)
            for name in required:
                flags = pc.or_(flags, pc.equal(pc.utf8_trim_whitespace(batch.column(name)), ""))
            for name in typed:
                flags = pc.or_(flags, _suspect(batch.column(name), entity.column(name).type))
            suspects = pc.indices_nonzero(flags).to_pylist()
            if suspects:
                rows = batch.take(pa.array(suspects)).to_pylist()
                for index, row in zip(suspects, rows, strict=True):
                    found = _judge(entity, header, required, typed, row)
                    if found:
                        column, reason = found
                        values = [row[name] for name in header]
                        rejections.append(Rejection(records + index + 2, column, reason, _raw_line(values)))
            records += batch.num_rows
    return records, rejections


def _judge(entity: Entity, header: list[str], required: list[str], typed: list[str],
           row: dict) -> tuple[str, str] | None:
    """The precise path's verdict on one row, in its order: required values first, then types."""
    for name in required:
        if not row[name].strip():
            return name, "expected a value, got an empty field"
    for name in typed:
        value = row[name]
        if value and (problem := value_check(entity.column(name))(value)) is not None:
            return name, problem
    return None
