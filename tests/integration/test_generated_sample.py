"""The loader catches exactly the planted defects it is meant to quarantine, night by night."""

from __future__ import annotations

import json
from datetime import date

from salesops.contracts import SOURCES
from salesops.ingest.loader import load_source

from ..conftest import SAMPLE_LANDING


def test_loader_quarantines_exactly_the_planted_rejects(db):
    manifest = json.loads((SAMPLE_LANDING / "_manifest.json").read_text())
    rejects = set(manifest["loader_rejects"])
    for night, files in manifest["nights"].items():
        for source in SOURCES:
            load_source(db, SAMPLE_LANDING, source, date.fromisoformat(night))
        with db.cursor() as cur:
            cur.execute("select source || '/' || entity || '.csv', rows_read, rows_rejected from meta.load_ledger"
                        " where night = %s", (night,))
            ledger = {name: (read, rejected) for name, read, rejected in cur.fetchall()}
        for name, entry in files.items():
            expected = sum(count for kind, count in entry["defects"].items() if kind in rejects)
            assert ledger[name] == (entry["rows"], expected), (night, name)
    with db.cursor() as cur:
        cur.execute("select count(*) from meta.load_ledger where rows_read <> rows_loaded + rows_rejected")
        assert cur.fetchone()[0] == 0
        cur.execute("select distinct split_part(reason, ',', 1) from raw.crm__opportunities__rejected")
        reasons = {r for (r,) in cur.fetchall()}
    assert any("expected a number" in r for r in reasons) and any("expected an ISO date" in r for r in reasons)
