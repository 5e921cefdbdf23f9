"""Our own exception types: each carries what a person needs to fix the problem."""

from __future__ import annotations


class SalesopsError(Exception):
    """Base class; the CLI prints these as one readable line instead of a traceback."""


class ConfigError(SalesopsError, ValueError):
    """A setting (an environment variable) has a value we cannot use."""


class WarehouseError(SalesopsError):
    """The warehouse cannot be started, reached or used."""


class DataError(SalesopsError):
    """The data itself is wrong: retrying the task cannot help, so it fails at once."""


class SourceFileError(DataError):
    """A landing file is unusable as a whole (missing, empty, wrong header)."""

    def __init__(self, path: str, message: str, line: int | None = None, column: str | None = None) -> None:
        self.path, self.line, self.column = path, line, column
        where = path + (f", line {line}" if line is not None else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")


class QualityGateError(DataError):
    """A critical data-quality check failed: the night must not publish."""


class NightLockedError(SalesopsError):
    """Another run holds the warehouse: this one may not start (or go on)."""


class PublishError(SalesopsError):
    """The build schema could not be published into marts."""
