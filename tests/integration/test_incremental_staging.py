"""The big extracts' staging tables are kept incrementally (macros/incremental/latest_versions.sql): a night reads
only its own batch, and its versions compete with those the table holds of the keys the batch touches.
They must hold what reading every batch would give, including the cases an upsert gets wrong.

Three nights of leads (updated_at in brackets):
  19: L1 open [11-10], L2 open [11-10]
  20: L1 soft-deleted [11-18], L2 working [11-19]
  21: L1 again, not deleted, but an older version [11-12]; L2 again, older [11-01]; L3 new [11-20]
As of 21 the newest version of each lead wins, whatever batch delivered it: L1 stays deleted (the
11-18 version, batch 20), L2 stays working (batch 20), L3 is there (batch 21). Rebuilt as of 20 (an
older night), the table forgets batch 21: no L3. L4, delivered once on 19 and edited in raw afterwards
behind the pipeline's back, shows that the later nights really read only their own batches: they keep
the version they read on 19, and only a full rebuild sees the edit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from salesops.contracts import entity
from salesops.ingest.loader import load_file
from salesops.transform import dbt_runner

HEADER = ("lead_id,company,source,status,owner_user_id,country,created_at,converted_at,converted_opportunity_id,"
          "converted_account_id,updated_at,is_deleted\n")
NIGHTS = {
    date(2026, 11, 19): [("L1", "open", "2026-11-10", "false"), ("L2", "open", "2026-11-10", "false"),
                         ("L4", "open", "2026-11-10", "false")],
    date(2026, 11, 20): [("L1", "open", "2026-11-18", "true"), ("L2", "working", "2026-11-19", "false")],
    date(2026, 11, 21): [("L1", "open", "2026-11-12", "false"), ("L2", "open", "2026-11-01", "false"),
                         ("L3", "new", "2026-11-20", "false")],
}


def build_leads(settings, night: date, full_refresh: bool = False) -> None:
    command = ["run", "--select", "stg_crm__leads"] + (["--full-refresh"] if full_refresh else [])
    dbt_runner.run_dbt(settings, command, night=night)


def leads(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("select lead_id, status, is_deleted, _batch_id from staging.stg_crm__leads order by 1")
        rows = cur.fetchall()
    db.commit()
    return rows


def test_incremental_staging_keeps_the_newest_version_whatever_batch_delivered_it(db, warehouse_server,
                                                                                  tmp_path: Path):
    for night, rows in NIGHTS.items():
        path = tmp_path / "crm" / night.isoformat() / "leads.csv"
        path.parent.mkdir(parents=True)
        path.write_text(HEADER + "".join(
            f"{lead},Acme,inbound,{status},U1,US,2026-10-01T00:00:00Z,,,,{updated}T00:00:00Z,{deleted}\n"
            for lead, status, updated, deleted in rows))
        load_file(db, entity("crm", "leads"), path, night)
        build_leads(warehouse_server, night)
        if night == date(2026, 11, 19):
            with db.cursor() as cur:
                cur.execute("update raw.crm__leads set status = 'edited' where lead_id = 'L4'")
            db.commit()

    expected_21 = [("L1", "open", True, "2026-11-20"), ("L2", "working", False, "2026-11-20"),
                   ("L3", "new", False, "2026-11-21"), ("L4", "open", False, "2026-11-19")]
    assert leads(db) == expected_21
    build_leads(warehouse_server, date(2026, 11, 21), full_refresh=True)  # every batch read at once
    assert leads(db) == [*expected_21[:3], ("L4", "edited", False, "2026-11-19")]
    build_leads(warehouse_server, date(2026, 11, 20))  # an older night: rebuilt as it stood then
    assert leads(db) == [("L1", "open", True, "2026-11-20"), ("L2", "working", False, "2026-11-20"),
                         ("L4", "edited", False, "2026-11-19")]
