"""Per-value checks the loader applies before a row may enter raw.

Each check returns None when the value is acceptable, or the reason it is not, phrased as
what was expected, so a rejected row says exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TEXT, TIMESTAMP, Column

# Shared with arrow_checks, which anchors the same patterns for Arrow's RE2.
INTEGER_PATTERN = r"\s*[-+]?\d+\s*"
NUMERIC_PATTERN = r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*"
BOOLEAN_WORDS = ("true", "false", "t", "f", "1", "0", "yes", "no", "y", "n")
_INTEGER = re.compile(INTEGER_PATTERN + r"\Z")
_NUMERIC = re.compile(NUMERIC_PATTERN + r"\Z")
_BOOLEANS = frozenset(BOOLEAN_WORDS)
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _check_integer(value: str) -> str | None:
    return None if _INTEGER.match(value) else f"expected a whole number, got {value!r}"


def _check_numeric(value: str) -> str | None:
    return None if _NUMERIC.match(value) else f"expected a number, got {value!r}"


def _check_boolean(value: str) -> str | None:
    return None if value.strip().lower() in _BOOLEANS else f"expected true or false, got {value!r}"


def _check_date(value: str) -> str | None:
    if _DATE_SHAPE.match(value):
        try:
            date.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"expected an ISO date YYYY-MM-DD, got {value!r}"


def _check_timestamp(value: str) -> str | None:
    try:
        datetime.fromisoformat(value)
        return None
    except ValueError:
        return f"expected an ISO-8601 timestamp, got {value!r}"


CHECKS: dict[str, Callable[[str], str | None] | None] = {
    TEXT: None,
    INTEGER: _check_integer,
    NUMERIC: _check_numeric,
    BOOLEAN: _check_boolean,
    DATE: _check_date,
    TIMESTAMP: _check_timestamp,
}


def value_check(column: Column) -> Callable[[str], str | None] | None:
    """The type check for a column (None for free text, which needs none)."""
    return CHECKS[column.type]
