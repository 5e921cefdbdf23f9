"""Night after night, the incremental marts (recycled build schema, carried-over nightly slices)
equal a full rebuild of the last night, table for table and row for row."""

from __future__ import annotations

from datetime import date

import pytest

from salesops.contracts import SOURCES
from salesops.ingest.loader import load_source
from salesops.orchestration import nightly
from salesops.publish import swap

from ..conftest import SAMPLE_LANDING

pytestmark = pytest.mark.slow
NIGHTS = [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
BOOKKEEPING = {"loaded_through", "batch_date"}  # when a row was read, not what it says


def tables(db, schema: str) -> dict[str, list[tuple]]:
    with db.cursor() as cur:
        cur.execute("select table_name, array_agg(column_name::text order by ordinal_position)"
                    " from information_schema.columns where table_schema = %s group by table_name", (schema,))
        columns = dict(cur.fetchall())
        out = {}
        for table, names in columns.items():
            keep = ", ".join(f'"{n}"' for n in names if n not in BOOKKEEPING)
            cur.execute(f'select {keep} from "{schema}"."{table}"')
            out[table] = sorted(cur.fetchall(), key=repr)
    db.commit()
    return out


def test_incremental_nights_equal_a_full_rebuild(db, warehouse_server):
    builds = []
    for night in NIGHTS:
        for source in SOURCES:
            load_source(db, SAMPLE_LANDING, source, night)
        builds.append(nightly.build(night, settings=warehouse_server)["build_schema"])
        swap.publish(warehouse_server, night, f"test-{night}")
    assert builds == ["empty", "empty", "recycled"]  # the third night is the first incremental one
    incremental = tables(db, "marts")
    with db.cursor() as cur:
        cur.execute("select snapshot_date::text, count(*) from marts.fct_pipeline_daily group by 1 order by 1")
        assert [night for night, _ in cur.fetchall()] == [str(n) for n in NIGHTS]
    db.commit()

    nightly.build(NIGHTS[-1], full_refresh=True, settings=warehouse_server)
    full = tables(db, "marts_build")
    assert set(full) == set(incremental) and len(full) >= 35
    for table, rows in full.items():
        assert incremental[table] == rows, table


def test_a_night_that_failed_its_gate_leaves_the_next_night_equal_to_a_full_rebuild(db, warehouse_server):
    """The second night is built but never published (its mart gate failed): the third night builds on the
    schema it left ('kept', its slices replaced by the night's own) and publishes exactly what a full
    rebuild of the third night gives."""
    builds = []
    for number, night in enumerate(NIGHTS):
        for source in SOURCES:
            load_source(db, SAMPLE_LANDING, source, night)
        builds.append(nightly.build(night, settings=warehouse_server)["build_schema"])
        if number != 1:  # the second night stops at its gate
            swap.publish(warehouse_server, night, f"test-{night}")
    assert builds == ["empty", "empty", "kept"]
    published = tables(db, "marts")
    nightly.build(NIGHTS[-1], full_refresh=True, settings=warehouse_server)
    full = tables(db, "marts_build")
    assert set(full) == set(published)
    for table, rows in full.items():
        assert published[table] == rows, table


def test_an_older_night_rerun_after_later_ones_gives_that_nights_marts(db, warehouse_server):
    """The nights run 19, 20, 21, then 21 again (marts_previous is then a 21st too), then the 20th again on
    purpose (--rewind): the marts equal the 20th's first run, with no slice of the 21st left in them (the
    recycled build schema held the 21st's snapshots, which the rerun kept)."""
    nights = NIGHTS
    first_20th = None
    for night in nights:
        for source in SOURCES:
            load_source(db, SAMPLE_LANDING, source, night)
        nightly.build(night, settings=warehouse_server)
        swap.publish(warehouse_server, night, f"test-{night}")
        if night == nights[1]:
            first_20th = tables(db, "marts")
    nightly.build(nights[2], settings=warehouse_server)
    swap.publish(warehouse_server, nights[2], "test-again")
    assert nightly.build(nights[1], settings=warehouse_server)["build_schema"] == "empty"  # no later night reused
    swap.publish(warehouse_server, nights[1], "test-rewind", rewind=True)
    rewound = tables(db, "marts")
    assert set(rewound) == set(first_20th)
    for table, rows in first_20th.items():
        assert rewound[table] == rows, table
