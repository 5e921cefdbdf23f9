"""What a GX validation result may show to people: no markup a browser would run, no personal value.

GX's Data Docs write a failed check's sampled values into the page as they are (a value
`<script>...</script>` from a landing file would run in an analyst's browser), and a sample of a
pay column is pay. Every result is made safe here before Data Docs render it: its values are
HTML-escaped (the page then shows them as text), and a check of a personal column keeps its counts
but not its values. The gate keeps the real samples of personal columns in a table engineers only read.
"""

from __future__ import annotations

import html

from salesops.contracts import ENTITIES

REDACTED = "[redacted: personal data]"
# what a check of a personal column may still say: how many rows, never which values
_COUNTS = frozenset({"element_count", "unexpected_count", "unexpected_percent", "unexpected_percent_total",
                     "unexpected_percent_nonmissing", "missing_count", "missing_percent"})
_PERSONAL_BY_SUITE = {f"raw__{entity.key}": entity.personal_columns for entity in ENTITIES if entity.personal_columns}


def checked_columns(kwargs: dict) -> set[str]:
    """The columns an expectation looks at, whatever its shape (column, column_list, column_A/B)."""
    names = {kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *kwargs.get("column_list", ())}
    return {name for name in names if name}


def is_personal(suite: str, kwargs: dict) -> bool:
    return bool(checked_columns(kwargs) & _PERSONAL_BY_SUITE.get(suite, frozenset()))


def holds_personal_data(suite: str) -> bool:
    """The suite's table has personal columns: GX computes several columns' metrics in one query, so an error
    attached to any of its checks may quote a personal value."""
    return suite in _PERSONAL_BY_SUITE


WITHHELD = "the check could not run (details withheld: the table holds personal data; see the task's log)"


def masked(values: list) -> list[str]:
    """A sample as BI and the reports may see it: how many values, not what they are."""
    return [REDACTED] * len(values)


def escaped(value: object) -> object:
    """Every string inside (lists, dicts, their values) HTML-escaped; anything else as it is."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, list | tuple):
        return [escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: escaped(item) for key, item in value.items()}
    return value


def make_safe(suite: str, result) -> bool:  # noqa: ANN001 - GX's ExpectationSuiteValidationResult
    """Rewrite a suite's result in place for Data Docs; True when anything changed (it must be stored again)."""
    changed = False
    for check in result.results:
        details = dict(check.result or {})
        if is_personal(suite, check.expectation_config.kwargs):
            safe = {key: value for key, value in details.items() if key in _COUNTS}
            if "partial_unexpected_list" in details:
                safe["partial_unexpected_list"] = masked(details["partial_unexpected_list"])
        else:
            safe = escaped(details)
        if safe != details:
            check.result = safe
            changed = True
        info = check.exception_info
        if isinstance(info, dict) and holds_personal_data(suite) and info.get("raised_exception"):
            safe_info = {**info, "exception_message": WITHHELD, "exception_traceback": None}
        else:
            safe_info = escaped(info) if isinstance(info, dict) else info
        if safe_info != info:
            check.exception_info = safe_info
            changed = True
    return changed
