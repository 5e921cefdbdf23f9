"""Retention: a raw batch goes only when every row has a later version before the cutoff."""

from __future__ import annotations

import shutil
from datetime import date

from salesops.ingest.loader import load_source
from salesops.orchestration import maintenance

NIGHTS = [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]


def partitions(db, table: str) -> list[str]:
    with db.cursor() as cur:
        cur.execute("select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid"
                    " where i.inhparent = %s::regclass order by 1", (f"raw.{table}",))
        return [row[0] for row in cur.fetchall()]


def test_retention_drops_only_fully_superseded_batches(db, landing, warehouse_server):
    # Night 3 re-delivers every CRM user (night 1's users.csv again): night 1's users batch is then
    # superseded before a cutoff after night 3. Night 2's users batch re-delivered only some users.
    for source in ("crm", "hr"):
        shutil.copytree(landing / source / "2026-11-21", landing / source / "2026-11-22")
    shutil.copyfile(landing / "crm" / "2026-11-20" / "users.csv", landing / "crm" / "2026-11-22" / "users.csv")
    for night in NIGHTS:
        load_source(db, landing, "crm", night)
        load_source(db, landing, "hr", night)
    db.commit()
    with db.cursor() as cur:
        cur.execute("select user_id, full_name from raw.crm__users where _batch_id = '2026-11-22' order by 1")
        latest_users = cur.fetchall()
    db.commit()  # hold no lock: retention drops partitions from its own connection

    # Cutoff on night 2: only night 2's batches may supersede night 1's, and they re-delivered a few rows.
    kept = maintenance.prune_raw(date(2026, 11, 21), warehouse_server, days=0)
    assert kept.partitions_dropped == []
    assert "crm__users__p20261120" in kept.partitions_kept

    # Cutoff on night 3: nights from 3 on see night 3's version of every user, never night 1's.
    result = maintenance.prune_raw(date(2026, 11, 22), warehouse_server, days=0)
    assert "crm__users__p20261120" in result.partitions_dropped
    assert "crm__users__p20261122" in partitions(db, "crm__users")
    # Night 1's opportunities: night 2 and 3 re-delivered only a few of them, so the batch stays.
    assert "crm__opportunities__p20261120" in result.partitions_kept
    assert "crm__opportunities__p20261120" in partitions(db, "crm__opportunities")
    with db.cursor() as cur:  # every user's latest version is still there
        cur.execute("select distinct on (user_id) user_id, full_name from raw.crm__users"
                    " order by user_id, _batch_id desc")
        assert cur.fetchall() == latest_users
        cur.execute("select _batch_id from raw.crm__opportunities__rejected")
        assert cur.fetchall() == [("2026-11-22",)]  # night 2's quarantined row (before the cutoff) is gone
