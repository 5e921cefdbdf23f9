"""Per-value checks the loader applies before a row may enter raw.

Each check returns None when the value is acceptable, or the reason it is not, phrased as
what was expected, so a rejected row says exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from salesops.config import FALSE_WORDS, TRUE_WORDS
from salesops.contracts import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMERIC,
    TEXT,
    TIMESTAMP,
    Column,
    Entity,
)

# Shared with arrow_checks, which anchors the same patterns for Arrow's RE2. ASCII only: Python's \d
# also matches other scripts' digits (fullwidth, Arabic-Indic), which Postgres refuses to cast.
INTEGER_PATTERN = r"\s*[-+]?\d+\s*"
NUMERIC_PATTERN = r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*"
# ISO-8601 as Postgres reads it: a time needs its minutes, a fraction its point; Z or an offset.
TIMESTAMP_PATTERN = (r"\d{4}-\d{2}-\d{2}([T ]([01]\d|2[0-3]):?[0-5]\d(:?[0-5]\d(\.\d+)?)?)?"
                     r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?")
BOOLEAN_WORDS = TRUE_WORDS + FALSE_WORDS
_INTEGER = re.compile(INTEGER_PATTERN + r"\Z", re.ASCII)
_NUMERIC = re.compile(NUMERIC_PATTERN + r"\Z", re.ASCII)
_TIMESTAMP = re.compile(r"\s*" + TIMESTAMP_PATTERN + r"\s*\Z", re.ASCII)
_BOOLEANS = frozenset(BOOLEAN_WORDS)
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
BIGINT = 2**63 - 1  # staging casts whole numbers to bigint


def _check_integer(value: str) -> str | None:
    if not _INTEGER.match(value):
        return f"expected a whole number, got {value!r}"
    if abs(int(value)) > BIGINT:
        return f"expected a whole number the warehouse can store (at most {BIGINT:,} in magnitude), got {value!r}"
    return None


def _numeric_check(digits: int, scale: int) -> Callable[[str], str | None]:
    """A number staging can cast to numeric(digits + scale, scale): its whole part fits `digits` digits."""
    limit = Decimal(10) ** digits - Decimal(5) * Decimal(10) ** -(scale + 1)  # what rounds below 10^digits

    def check(value: str) -> str | None:
        if not _NUMERIC.match(value):
            return f"expected a number, got {value!r}"
        number = Decimal(value.strip())
        if abs(number) >= limit:
            return f"expected a number below {10 ** digits:,} in magnitude (what the warehouse stores), got {value!r}"
        return None

    return check


def _check_boolean(value: str) -> str | None:
    return None if value.strip().lower() in _BOOLEANS else f"expected true or false, got {value!r}"


def _check_date(value: str) -> str | None:
    if _DATE_SHAPE.match(value):
        try:
            if date.fromisoformat(value).year >= 1:
                return None
        except ValueError:
            pass
    return f"expected an ISO date YYYY-MM-DD, got {value!r}"


def _check_timestamp(value: str) -> str | None:
    if _TIMESTAMP.match(value):
        try:
            datetime.fromisoformat(value.strip())
            return None
        except ValueError:
            pass
    return f"expected an ISO-8601 timestamp, got {value!r}"


CHECKS: dict[str, Callable[[str], str | None] | None] = {
    TEXT: None,
    INTEGER: _check_integer,
    BOOLEAN: _check_boolean,
    DATE: _check_date,
    TIMESTAMP: _check_timestamp,
}


def value_check(column: Column) -> Callable[[str], str | None] | None:
    """The type check for a column (None for free text, which needs none)."""
    if column.type == NUMERIC:
        return _numeric_check(column.digits, column.scale)
    return CHECKS[column.type]


# A text value a spreadsheet would run as a formula when the marts are exported (=, +, -, @, tab, CR first):
# loaded as it is, and flagged with its file, line and column.
FORMULA_PATTERN = r"^[=+\-@\t\r]"
_FORMULA = re.compile(FORMULA_PATTERN)


def formula_flag(value: str) -> str | None:
    if _FORMULA.match(value):
        return f"starts with {value[0]!r}: a spreadsheet opening an export would read it as a formula"
    return None


@dataclass(frozen=True)
class SizeLimits:
    """The longest field and row a landing file may hold (config: SALESOPS_MAX_FIELD_BYTES, _ROW_BYTES)."""

    field_bytes: int
    row_bytes: int

    def row_problem(self, raw: str) -> str | None:
        """The reason a record (its text as in the file) is too long, or None."""
        if 4 * len(raw) <= self.row_bytes:  # a character is at most 4 bytes: surely short enough
            return None
        size = len(raw.rstrip("\r\n").encode("utf-8", "surrogateescape"))
        if size > self.row_bytes:
            return f"row is {size:,} bytes: longer than the limit of {self.row_bytes:,} (SALESOPS_MAX_ROW_BYTES)"
        return None

    def field_problem(self, fields: list[str], header: list[str]) -> tuple[str, str] | None:
        """(column, reason) of the first field too long, or None."""
        for name, value in zip(header, fields, strict=False):
            if 4 * len(value) > self.field_bytes:
                size = len(value.encode("utf-8", "surrogateescape"))
                if size > self.field_bytes:
                    return name, (f"field is {size:,} bytes: longer than the limit of {self.field_bytes:,}"
                                  " (SALESOPS_MAX_FIELD_BYTES)")
        return None


class RowJudge:
    """The verdict on one record of a file, the same on the loader's two paths: its fields' size and its own,
    its field count, its required values, its types, in that order; and a loaded row's formula-like values."""

    def __init__(self, entity: Entity, header: list[str], limits: SizeLimits) -> None:
        known = set(entity.column_names)
        self.header, self.limits, self.width = header, limits, len(header)
        self.required = [(i, name) for i, name in enumerate(header)
                         if name in known and not entity.column(name).nullable]
        self.typed = [(i, name, check) for i, name in enumerate(header)
                      if name in known and (check := value_check(entity.column(name))) is not None]
        self.personal = entity.personal_columns
        self.free_text = [(i, name) for i, name in enumerate(header) if name in known
                          and entity.column(name).type == TEXT and not entity.column(name).allowed]

    def verdict(self, raw: str, fields: list[str]) -> tuple[str | None, str] | None:
        """(column or None, reason) when the record must be quarantined, else None."""
        if problem := self.limits.field_problem(fields, self.header):
            return problem
        if problem := self.limits.row_problem(raw):
            return None, problem
        for name, value in zip(self.header, fields, strict=False):
            if "\x00" in value or "\ufeff" in value:  # Postgres text cannot hold a NUL; a BOM inside: files glued
                what = "a NUL byte" if "\x00" in value else "a byte-order mark (files concatenated?)"
                return name, f"the value holds {what}: expected plain UTF-8 text"
        if len(fields) != self.width:
            return None, f"wrong number of fields: expected {self.width}, got {len(fields)}"
        for i, name in self.required:
            if not fields[i].strip():
                return name, "expected a value, got an empty field"
        for i, name, check in self.typed:
            value = fields[i]
            if value and (problem := check(value)) is not None:
                if name in self.personal:  # the reason travels to logs and reports: never a personal value
                    problem = problem.split(", got ", 1)[0] + ", got a value withheld here (personal data)"
                return name, problem
        return None

    def flags(self, fields: list[str]) -> list[tuple[str, str]]:
        """(column, reason) of each value a spreadsheet would take for a formula."""
        return [(name, reason) for i, name in self.free_text if (reason := formula_flag(fields[i]))]
