"""The Data Docs index stays bounded however many nights of results the store keeps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from salesops.config import load_settings
from salesops.quality.gx_project import data_docs_index, get_context

SUITE = "raw__crm__accounts"


def test_the_data_docs_index_lists_the_newest_results_only(tmp_path, monkeypatch):
    """Building the index reads every result it lists, and retention keeps a year of them: it lists the
    newest `validation_results_limit` only. Five results more than the limit are stored, one a night."""
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    settings = load_settings()
    context = get_context(settings)
    limit = context.variables.data_docs_sites["local_site"]["site_index_builder"]["validation_results_limit"]
    first = datetime(2026, 1, 1, tzinfo=UTC)
    for night in range(limit + 5):
        run_time = first + timedelta(days=night)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=SUITE),
            run_id=RunIdentifier(run_name=f"night_{night}", run_time=run_time),
            batch_identifier=f"warehouse-{SUITE}",
        )
        result = ExpectationSuiteValidationResult(success=True, results=[], suite_name=SUITE)
        context.validation_results_store.set(key, result)

    context.build_data_docs()  # every page, as the nights rendered theirs

    listed = set(re.findall(r'validations/[^"]*\.html', data_docs_index(settings).read_text()))
    assert len(listed) == limit
    assert any(f"/night_{limit + 4}/" in link for link in listed)  # the newest night is listed
    assert not any(f"/night_{night}/" in link for link in listed for night in range(5))  # the five oldest are not
