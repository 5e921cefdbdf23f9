"""One night at a time, and `marts` always what the log says: the night lock, rewinds and rollbacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg2
import pytest

from salesops.errors import NightLockedError, PublishError
from salesops.orchestration import night_lock
from salesops.publish import swap
from salesops.report import run_summary

CLI = Path(sys.executable).parent / "salesops"
NIGHT = date(2026, 11, 20)


def salesops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=300, check=False)


def test_a_second_run_is_refused_naming_the_night_its_start_and_pid(db, warehouse_server):
    with night_lock.hold(warehouse_server, NIGHT, "salesops run --date 2026-11-20"):
        second = salesops("run", "--date", NIGHT.isoformat())
        assert second.returncode == 2
        assert "night 2026-11-20 is already running since " in second.stderr
        assert f"pid {os.getpid()}" in second.stderr
        assert "Published" not in second.stdout and "Night 2026-11-20" not in second.stdout  # no summary at all
        for other in (salesops("rollback"), salesops("maintenance", "--skip-vacuum"),
                      salesops("backfill", "--from", "2026-11-21", "--to", "2026-11-22"),
                      salesops("gx", "sync"), salesops("docs")):  # the audit views, dbt's target
            assert other.returncode == 2 and "is already running since" in other.stderr
        with pytest.raises(NightLockedError, match="this run \\(scheduled__x, night 2026-11-21\\) may not"):
            night_lock.check_task(warehouse_server, date(2026, 11, 21), "scheduled__x")
    # released: a scheduled run's first task takes a lease, its tasks go on, a CLI run is refused
    night_lock.check_task(warehouse_server, NIGHT, "scheduled__2026-11-20")
    night_lock.check_task(warehouse_server, NIGHT, "scheduled__2026-11-20")
    refused = salesops("run", "--date", "2026-11-21")
    assert refused.returncode == 2 and "(Airflow run scheduled__2026-11-20" in refused.stderr
    assert "`salesops unlock`" in refused.stderr
    night_lock.release_task(warehouse_server, "scheduled__2026-11-20")
    with night_lock.hold(warehouse_server, NIGHT, "test"):
        pass


def backend_gone(settings, backend_pid: int, timeout: float = 30) -> None:
    """Wait until the server has ended a session whose client died (it notices the closed socket)."""
    deadline = time.monotonic() + timeout
    conn = psycopg2.connect(settings.warehouse_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("select count(*) from pg_stat_activity where pid = %s", (backend_pid,))
                if cur.fetchone()[0] == 0:
                    return
                time.sleep(0.05)
    finally:
        conn.close()
    raise AssertionError(f"backend {backend_pid} still there after {timeout} s")


def test_a_holder_killed_midway_leaves_a_lock_the_next_run_takes_over(db, warehouse_server):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom datetime import date\nfrom salesops.orchestration import night_lock\n"
         "from salesops.config import load_settings\n"
         "with night_lock.hold(load_settings(), date(2026, 11, 20), 'doomed'):\n"
         "    print('held', flush=True)\n    sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with db.cursor() as cur:
            cur.execute("select backend_pid, holder from meta.night_lock")
            backend, name = cur.fetchone()
        db.commit()
        assert name.startswith("doomed")
        assert salesops("rollback").returncode == 2  # held while it lives
    finally:
        holder.kill()
        holder.wait()
    backend_gone(warehouse_server, backend)
    with night_lock.hold(warehouse_server, NIGHT, "next"):  # its row is stale: taken over
        with db.cursor() as cur:
            cur.execute("select holder from meta.night_lock")
            assert cur.fetchone()[0].startswith("next")
        db.commit()


def build(db, label: str) -> None:
    """A build schema holding one table whose content names its night."""
    with db.cursor() as cur:
        cur.execute("create schema if not exists marts_build")
        cur.execute("drop table if exists marts_build.kpi_label")
        cur.execute("create table marts_build.kpi_label as select %s::text as night", (label,))
    db.commit()


def live(db) -> tuple[str, str]:
    """(the night marts holds by its content, the night the publish log's last row names)."""
    with db.cursor() as cur:
        cur.execute("select night from marts.kpi_label")
        content = cur.fetchone()[0]
        cur.execute("select night::text from meta.publish_log order by published_at desc limit 1")
        logged = cur.fetchone()[0]
    db.commit()
    return content, logged


def test_an_older_night_never_replaces_a_newer_one_unless_asked(db, warehouse_server):
    for night in ("2026-11-20", "2026-11-21"):
        build(db, night)
        swap.publish(warehouse_server, date.fromisoformat(night), f"run-{night}")
    build(db, "2026-11-19")
    with pytest.raises(PublishError, match="marts holds the night of 2026-11-21; publishing 2026-11-19"):
        swap.publish(warehouse_server, date(2026, 11, 19), "run-old")
    assert live(db) == ("2026-11-21", "2026-11-21")
    cli = salesops("run", "--date", "2026-11-19")  # refused before any work
    assert cli.returncode == 2 and "--rewind" in cli.stderr and "Running salesops_nightly" not in cli.stdout
    swap.publish(warehouse_server, date(2026, 11, 19), "run-old", rewind=True)
    assert live(db) == ("2026-11-19", "2026-11-19")
    with db.cursor() as cur:
        cur.execute("select action from meta.publish_log order by published_at desc limit 1")
        assert cur.fetchone()[0] == "rewind"
    db.commit()
    # and the run's summary says it published (a rewind is a publication)
    assert run_summary.summarize(warehouse_server, date(2026, 11, 19), "run-old").published == {"kpi_label": 1}


def test_after_any_number_of_rollbacks_the_log_names_the_night_marts_holds(db, warehouse_server):
    for night in ("2026-11-20", "2026-11-21"):
        build(db, night)
        swap.publish(warehouse_server, date.fromisoformat(night), f"run-{night}")
    assert live(db) == ("2026-11-21", "2026-11-21")
    first = salesops("rollback")
    assert first.returncode == 0, first.stderr
    assert "it held the night of 2026-11-21, it now holds the night of 2026-11-20" in first.stdout
    assert live(db) == ("2026-11-20", "2026-11-20")
    second = salesops("rollback")
    assert "it held the night of 2026-11-20, it now holds the night of 2026-11-21" in second.stdout
    assert live(db) == ("2026-11-21", "2026-11-21")
    salesops("rollback")
    assert live(db) == ("2026-11-20", "2026-11-20")
    with db.cursor() as cur:
        cur.execute("select obj_description('marts'::regnamespace, 'pg_namespace')")
        assert json.loads(cur.fetchone()[0]) == {"night": "2026-11-20", "run_id": "run-2026-11-20"}
    db.commit()


def test_the_airflow_run_of_a_killed_command_ends_with_it(db, warehouse_server, tmp_path):
    """`salesops run` killed with -9: the Airflow run it started (its own process group) is ended by the kernel
    with it, so it never works beside the next run."""
    import psutil

    from ..conftest import HANDMADE_LANDING

    env = {**os.environ, "SALESOPS_LANDING_DIR": str(HANDMADE_LANDING), "SALESOPS_AIRFLOW_HOME": str(tmp_path / "af")}
    command = subprocess.Popen([str(CLI), "run", "--date", NIGHT.isoformat()], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    cli = psutil.Process(command.pid)
    deadline = time.monotonic() + 300
    airflow = None
    while airflow is None and time.monotonic() < deadline:  # until the Airflow run has started
        airflow = next((child for child in cli.children() if "dags" in " ".join(child.cmdline())), None)
        assert command.poll() is None, "the run ended before Airflow started"
        time.sleep(0.1)
    assert airflow is not None
    command.kill()
    command.wait()
    airflow.wait(timeout=60)  # raises if it outlives its command
    assert not airflow.is_running()


def test_a_report_of_a_night_that_never_ran_is_refused(db, warehouse_server):
    """`salesops report` of a night with no load, check or publication says so, and writes no page."""
    result = salesops("report", "--date", "1999-12-30")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no run of night 1999-12-30 is recorded here" in result.stderr
    assert not (warehouse_server.reports_dir / "nights" / "1999-12-30.html").exists()
