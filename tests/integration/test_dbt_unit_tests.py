"""The dbt unit tests (hand-computed KPI cases in the models' `_*__unit_tests.yml`) against the real server."""

from __future__ import annotations

from datetime import date

from salesops import schema
from salesops.contracts import ENTITIES
from salesops.transform import dbt_runner

NIGHT = date(2026, 11, 21)


def test_every_dbt_unit_test_passes(db, warehouse_server):
    with db.cursor() as cur:  # empty raw tables are enough: unit tests bring their own rows
        for entity in ENTITIES:
            schema.ensure_raw_tables(cur, entity)
        cur.execute(schema.TIME_SERIES_DDL)  # what the forecast step writes, as dbt's sources
    db.commit()
    dbt_runner.run_dbt(warehouse_server, ["run", "--empty", "--select", "path:models/staging"], night=NIGHT)
    dbt_runner.run_dbt(warehouse_server, ["snapshot", "--empty"], night=NIGHT)  # the deals' versions the models read
    dbt_runner.run_dbt(warehouse_server, ["run", "--empty"], night=NIGHT)
    outcome = dbt_runner.run_dbt(warehouse_server, ["test", "--select", "test_type:unit"], night=NIGHT)
    assert outcome.success
    assert outcome.nodes.get("pass", 0) >= 22, outcome.nodes
