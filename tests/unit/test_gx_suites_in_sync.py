"""The committed GX suites are exactly what the contracts and thresholds generate (no drift)."""

from __future__ import annotations

import json

from salesops.config import load_settings
from salesops.gx_project import CHECKPOINTS, committed_expectations, suite_file
from salesops.quality_suites import all_suites


def test_every_suite_file_matches_the_contracts():
    settings = load_settings()
    generated = all_suites(settings.gx_root)
    on_disk = {p.stem for p in (settings.gx_root / "expectations").glob("*.json")}
    assert on_disk == set(generated), "run `make gx-sync` and commit expectations/"
    for name, expectations in generated.items():
        assert committed_expectations(settings, name) == json.loads(json.dumps(expectations)), (
            f"{suite_file(settings, name)} is stale: run `make gx-sync`"
        )


def test_every_expectation_has_a_severity_and_checkpoints_cover_every_suite():
    settings = load_settings()
    generated = all_suites(settings.gx_root)
    for expectations in generated.values():
        assert all(e["severity"] in ("critical", "warning") for e in expectations)
    covered = set()
    for checkpoint in CHECKPOINTS.values():
        data = json.loads((settings.gx_root / "checkpoints" / f"{checkpoint}.json").read_text())
        covered |= {v["name"] for v in data["validation_definitions"]}
        assert data["actions"] == []  # the gate builds Data Docs once per run, not once per suite
    assert covered == set(generated)
