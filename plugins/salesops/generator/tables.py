"""Column-array tables with row versions, and how a night's extract is cut from them.

A versioned table holds every version of every row (sorted by key, then version time); a
night's full extract is the latest version of each key visible by the cutoff, an incremental
one only the keys that changed that day. An append-only table (history, events, activities)
has no key: a night simply gets the rows that appeared that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TIMESTAMP, Entity
from salesops.generator.timeline import NULL_TIME

INT32_NULL = np.iinfo(np.int32).min


@dataclass
class Ids:
    """Identifiers stored as integers, written as prefix + number; a negative number is null."""

    prefix: str
    values: np.ndarray

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values).astype(np.int32)  # half the memory of int64


@dataclass
class Codes:
    """A low-cardinality text column: labels indexed by small integer codes (-1 is null)."""

    labels: tuple[str, ...]
    codes: np.ndarray

    def __post_init__(self) -> None:
        self.codes = np.asarray(self.codes).astype(np.int8 if len(self.labels) < 127 else np.int16)


@dataclass
class Numbered:
    """Text like "expansion deal 42": a label chosen by code, then a number (kept as integers)."""

    labels: tuple[str, ...]
    codes: np.ndarray
    numbers: np.ndarray

    def __post_init__(self) -> None:
        self.codes = np.asarray(self.codes).astype(np.int8)
        self.numbers = np.asarray(self.numbers).astype(np.int32)


Column = np.ndarray | Ids | Codes | Numbered


def _size(col: Column) -> int:
    if isinstance(col, Ids):
        return col.values.size
    if isinstance(col, (Codes, Numbered)):
        return col.codes.size
    return col.size


@dataclass
class Table:
    entity: Entity
    columns: dict[str, Column]
    version_time: np.ndarray  # int64 seconds: when this row version appears in the extracts
    key: np.ndarray | None = None  # versions of the same row share a key; None = append-only
    planted: dict[str, np.ndarray] = field(default_factory=dict)  # defect kind -> bool mask of rows

    def __post_init__(self) -> None:
        n = self.version_time.size
        for name, col in self.columns.items():
            size = _size(col)
            if size != n:
                raise ValueError(f"{self.entity.key}.{name}: {size} values for {n} rows")
        missing = set(self.entity.column_names) - set(self.columns)
        if missing:
            raise ValueError(f"{self.entity.key}: no data for {sorted(missing)}")
        for name, col in self.columns.items():
            if isinstance(col, np.ndarray) and col.dtype == np.int64:
                self.columns[name] = _compact(col)
        order = np.lexsort((self.version_time, self.key)) if self.key is not None else np.argsort(
            self.version_time, kind="stable")
        if not np.array_equal(order, np.arange(n)):
            self.reorder(order)

    def reorder(self, order: np.ndarray) -> None:
        self.version_time = self.version_time[order]
        if self.key is not None:
            self.key = self.key[order]
        for name, col in self.columns.items():
            self.columns[name] = take(col, order)
        self.planted = {kind: mask[order] for kind, mask in self.planted.items()}

    def rows_for_night(self, cutoff: int, since: int | None) -> np.ndarray:
        """Row indices of the extract: everything visible by `cutoff`, or only what changed since `since`."""
        visible = self.version_time < cutoff
        if self.key is None:
            if since is not None:
                visible &= self.version_time >= since
            return np.flatnonzero(visible)
        idx = np.flatnonzero(visible)
        keys = self.key[idx]
        last = np.ones(idx.size, dtype=bool)
        last[:-1] = keys[1:] != keys[:-1]
        latest = idx[last]
        if since is None:
            return latest
        changed_keys = np.unique(self.key[(self.version_time >= since) & visible])
        return latest[np.isin(self.key[latest], changed_keys, assume_unique=False)]


def _compact(values: np.ndarray) -> np.ndarray:
    """int64 -> int32 when it fits (dates, timestamps to 2038, counts): half the memory.
    Null is the dtype's minimum either way."""
    present = values[values != NULL_TIME]
    if present.size and (present.min() <= INT32_NULL or present.max() > np.iinfo(np.int32).max):
        return values
    return np.where(values == NULL_TIME, INT32_NULL, values).astype(np.int32)


def _is_null(values: np.ndarray) -> np.ndarray:
    return values == np.iinfo(values.dtype).min


def take(col: Column, idx: np.ndarray) -> Column:
    if isinstance(col, Ids):
        return Ids(col.prefix, col.values[idx])
    if isinstance(col, Codes):
        return Codes(col.labels, col.codes[idx])
    if isinstance(col, Numbered):
        return Numbered(col.labels, col.codes[idx], col.numbers[idx])
    return col[idx]


def format_column(col: Column, type_: str) -> np.ndarray:
    """The column as CSV text (numpy unicode array; '' is null)."""
    if isinstance(col, Ids):
        text = np.char.add(col.prefix, col.values.astype(str))
        return np.where(col.values >= 0, text, "")
    if isinstance(col, Codes):
        labels = np.array([*col.labels, ""])
        return labels[np.where(col.codes >= 0, col.codes, len(col.labels))]
    if isinstance(col, Numbered):
        return np.char.add(np.array(col.labels)[col.codes], col.numbers.astype(str))
    if type_ == TIMESTAMP:
        ok = ~_is_null(col)
        text = np.datetime_as_string(np.where(ok, col, 0).astype(np.int64).astype("datetime64[s]"), unit="s")
        return np.where(ok, np.char.add(text, "Z"), "")
    if type_ == DATE:
        ok = ~_is_null(col)
        days = np.where(ok, col, 0).astype(np.int64).astype("datetime64[D]")
        return np.where(ok, np.datetime_as_string(days, unit="D"), "")
    if type_ == NUMERIC:
        ok = ~np.isnan(col)
        rounded = np.round(np.where(ok, col, 0), 2)
        whole = rounded == np.floor(rounded)
        text = np.where(whole, rounded.astype(np.int64).astype(str), rounded.astype(str))
        return np.where(ok, text, "")
    if type_ == INTEGER:
        ok = ~_is_null(col)
        return np.where(ok, np.where(ok, col, 0).astype(str), "")
    if type_ == BOOLEAN:
        return np.array(["false", "true", ""])[np.where(col < 0, 2, col)]
    return col.astype(str)
