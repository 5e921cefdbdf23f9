"""The GX file project under expectations/: open it, and regenerate its suites from the contracts.

`salesops gx sync` writes suites, table assets, validation definitions and the two
checkpoints (raw, marts); the files are committed, and a test fails if they drift. The checkpoints
carry no UpdateDataDocsAction: that action rebuilds the whole Data Docs index once per suite, every
suite of every gate, so the gate builds the docs once itself.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

from salesops.config import BUILD_SCHEMA, Settings
from salesops.contracts import ENTITIES
from salesops.quality.quality_suites import (
    AUDIT_SCHEMA,
    CHECK_SUITES,
    LEDGER_SUITE,
    MARTS,
    all_suites,
    mart_suite_name,
    raw_suite_name,
)

log = logging.getLogger(__name__)

DATASOURCE = "warehouse"
CHECKPOINTS = {"raw": "raw_checkpoint", "marts": "marts_checkpoint"}
BATCH_DEFINITION = "whole_table"


def gx_env(settings: Settings) -> dict[str, str]:
    """What great_expectations.yml substitutes: the TCP URL and where results and docs go."""
    return {
        "SALESOPS_GX_URL": settings.warehouse_url,
        "SALESOPS_GX_RESULTS_DIR": str(settings.home / "gx_results"),
        "SALESOPS_DATA_DOCS_DIR": str(settings.reports_dir / "data_docs"),
    }


def data_docs_index(settings: Settings) -> Path:
    return settings.reports_dir / "data_docs" / "index.html"


def get_context(settings: Settings):  # noqa: ANN201 - GX's context type is internal
    os.environ.update(gx_env(settings))
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx

        return gx.get_context(mode="file", context_root_dir=str(settings.gx_root))


def suite_names(layer: str) -> list[str]:
    if layer == "raw":
        return [*(raw_suite_name(e) for e in ENTITIES), LEDGER_SUITE]
    return [*(mart_suite_name(m) for m in MARTS), *CHECK_SUITES]


def _asset_location(suite_name: str) -> tuple[str, str]:
    """Suite name -> (schema, table) it validates."""
    layer, _, table = suite_name.partition("__")
    night_sliced = {mart_suite_name(m) for m in MARTS if m.night_column}
    if layer == "raw" or suite_name in CHECK_SUITES or suite_name in night_sliced:
        return AUDIT_SCHEMA, suite_name
    return BUILD_SCHEMA, table


def suite_file(settings: Settings, name: str) -> Path:
    return settings.gx_root / "expectations" / f"{name}.json"


def committed_expectations(settings: Settings, name: str) -> list[dict]:
    """The expectations of a committed suite file, in the shape quality_suites generates."""
    data = json.loads(suite_file(settings, name).read_text())
    return [
        {"type": e["type"], "kwargs": e["kwargs"], "severity": e.get("severity"), "meta": e.get("meta", {})}
        for e in data["expectations"]
    ]


def committed_ids(settings: Settings, name: str) -> tuple[str | None, dict[str, str]]:
    """A committed suite's id and its expectations' ids by content: a sync gives an unchanged suite
    and expectation the id it had, so rewriting the files changes only what changed."""
    path = suite_file(settings, name)
    if not path.exists():
        return None, {}
    data = json.loads(path.read_text())
    return data.get("id"), {expectation_key(e): e["id"] for e in data["expectations"] if e.get("id")}


def expectation_key(expectation: dict) -> str:
    def numbers_as_floats(value: object) -> object:  # the files hold 0.0 where the generated kwargs say 0
        if isinstance(value, dict):
            return {k: numbers_as_floats(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [numbers_as_floats(v) for v in value]
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    return json.dumps(numbers_as_floats([expectation["type"], expectation["kwargs"], expectation.get("meta") or {},
                                         str(expectation.get("severity") or "critical")]), sort_keys=True, default=str)


def _add_table_asset(datasource: object, name: str, schema: str, table: str) -> object:
    """A table asset for a suite. GX checks the table exists when an asset is added, but a new mart's
    table appears only with its first night (and the build schema only during a night): the suite is
    registered now, and checked against the table when a gate runs."""
    from unittest import mock

    asset_type = datasource._TableAsset  # noqa: SLF001 - the asset class this datasource adds
    with mock.patch.object(asset_type, "test_connection", lambda self: None):
        return datasource.add_table_asset(name=name, table_name=table, schema_name=schema)


def _remove_unwritten(context: object, datasource: object, written: set[str]) -> None:
    """A suite no contract or mart asks for any more (a mart or extract removed): its suite, validation
    definition and asset go, so the committed files hold what the gates run and nothing else."""
    for definition in list(context.validation_definitions.all()):
        if definition.name not in written:
            context.validation_definitions.delete(definition.name)
    for suite in list(context.suites.all()):
        if suite.name not in written:
            context.suites.delete(suite.name)
    for asset_name in sorted(datasource.get_asset_names() - written):
        datasource.delete_asset(asset_name)


def sync(settings: Settings) -> list[str]:
    """(Re)write every suite, asset, validation definition and checkpoint; needs the warehouse up."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = get_context(settings)
    datasource = context.data_sources.get(DATASOURCE)
    written = []
    by_layer: dict[str, list] = {"raw": [], "marts": []}
    for name, expectations in all_suites(settings.gx_root).items():
        suite_id, expectation_ids = committed_ids(settings, name)
        suite = gx.ExpectationSuite(name=name, id=suite_id)
        suite = context.suites.add_or_update(suite)
        for expectation in expectations:
            suite.add_expectation_configuration(
                ExpectationConfiguration(**expectation, id=expectation_ids.get(expectation_key(expectation))))
        suite.save()
        schema, table = _asset_location(name)
        try:
            asset = datasource.get_asset(name)
            if (asset.schema_name, asset.table_name) != (schema, table):  # the suite now checks another relation
                datasource.delete_asset(name)
                raise LookupError(name)
        except LookupError:
            asset = _add_table_asset(datasource, name, schema, table)
        try:
            batch = asset.get_batch_definition(BATCH_DEFINITION)
        except KeyError:
            batch = asset.add_batch_definition_whole_table(BATCH_DEFINITION)
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        by_layer["raw" if name.startswith("raw__") else "marts"].append(definition)
        written.append(name)
    _remove_unwritten(context, datasource, set(written))
    for layer, definitions in by_layer.items():
        context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=CHECKPOINTS[layer],
                validation_definitions=definitions,
                actions=[],  # Data Docs are built once per gate run (quality_gate), not once per suite
                # BASIC: counts and up to 20 bad values, all the gate records; SUMMARY's value counts
                # cost a query per expectation
                result_format={"result_format": "BASIC", "partial_unexpected_count": 20},
            )
        )
    return written
