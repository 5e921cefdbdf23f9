"""A load killed half-way (kill -9 during COPY) leaves nothing behind, and the rerun completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date

from salesops.contracts import entity
from salesops.ingest.loader import load_file

NIGHT = date(2026, 11, 20)

# Loads a file, but stalls after the first 1 MiB chunk has gone to COPY and says so in a marker file.
STALLING_LOADER = textwrap.dedent("""
    import sys, time
    from datetime import date
    from pathlib import Path
    from salesops import warehouse
    from salesops.ingest import fast_copy
    from salesops.contracts import entity
    from salesops.ingest.loader import load_file

    original = fast_copy._CopyStream.read
    calls = []

    def stalling_read(self, size=-1):
        calls.append(size)
        if len(calls) == 2:
            Path(sys.argv[2]).write_text("copying")
            time.sleep(600)
        return original(self, size)

    fast_copy._CopyStream.read = stalling_read
    load_file(warehouse.connect(), entity("crm", "users"), Path(sys.argv[1]), date(2026, 11, 20))
""")


def test_a_killed_load_leaves_no_partial_batch_and_the_rerun_completes(db, tmp_path):
    path = tmp_path / "users.csv"
    with path.open("w") as handle:
        handle.write("user_id,email,full_name,is_active,updated_at\n")
        for i in range(60_000):  # about 3 MiB: several COPY chunks
            handle.write(f"U{i},user{i}@x.example,User Number {i},true,2026-11-19T08:00:00Z\n")
    marker = tmp_path / "copying"
    process = subprocess.Popen([sys.executable, "-c", STALLING_LOADER, str(path), str(marker)], env=dict(os.environ))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, "the loader ended before it started copying"
        assert time.monotonic() < deadline, "the loader never started copying"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    with db.cursor() as cur:
        cur.execute("select count(*) from raw.crm__users")
        assert cur.fetchone()[0] == 0  # the half-copied batch was rolled back with the killed session
        cur.execute("select count(*) from meta.load_ledger where entity = 'users'")
        assert cur.fetchone()[0] == 0
    db.commit()

    result = load_file(db, entity("crm", "users"), path, NIGHT)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == ("loaded", 60_000, 60_000, 0)
    with db.cursor() as cur:
        cur.execute("select count(*), count(distinct user_id) from raw.crm__users")
        assert cur.fetchone() == (60_000, 60_000)
        cur.execute("select rows_read = rows_loaded + rows_rejected from meta.load_ledger where entity = 'users'")
        assert cur.fetchone() == (True,)
