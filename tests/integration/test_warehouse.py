"""The embedded warehouse: idempotent start, clean stop, and two homes side by side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import psycopg2
import pytest

from salesops import warehouse
from salesops.config import load_settings
from salesops.errors import WarehouseError

from ..conftest import free_port


def test_start_is_idempotent_and_serves_tcp(warehouse_server):
    first = warehouse.status(warehouse_server)
    again = warehouse.start(warehouse_server)
    assert first.running and again.pid == first.pid
    assert warehouse_server.warehouse_url.startswith("postgresql://postgres@127.0.0.1:")
    with psycopg2.connect(warehouse_server.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("select current_database(), inet_server_addr()::text")
        assert cur.fetchone() == ("salesops", "127.0.0.1/32")


def test_a_second_home_runs_beside_the_first_and_stops_cleanly(warehouse_server, tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "second"))
    monkeypatch.setenv("SALESOPS_PG_PORT", str(free_port()))
    second = load_settings()
    try:
        state = warehouse.start(second)
        assert state.running and state.pgdata == tmp_path / "second" / "pgdata"
        assert warehouse.status(warehouse_server).running  # the first one is untouched
        with psycopg2.connect(second.warehouse_url) as conn, conn.cursor() as cur:
            cur.execute("select setting from pg_settings where name = 'data_directory'")
            assert Path(cur.fetchone()[0]) == second.pgdata
    finally:
        stopped = warehouse.stop(second)
    assert not stopped.running
    assert warehouse.status(warehouse_server).running


def test_cli_reports_status_and_url(warehouse_server):
    cli = Path(sys.executable).parent / "salesops"
    status = subprocess.run([str(cli), "db", "status"], capture_output=True, text=True, check=False)
    assert status.returncode == 0 and status.stdout.startswith("running:")
    url = subprocess.run([str(cli), "db", "url"], capture_output=True, text=True, check=True)
    assert url.stdout.strip() == warehouse_server.warehouse_url


def test_external_url_means_nothing_embedded_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "ext"))
    monkeypatch.setenv("SALESOPS_WAREHOUSE_URL", "postgresql://u:p@127.0.0.1:9/none")
    settings = load_settings()
    cli = Path(sys.executable).parent / "salesops"
    result = subprocess.run([str(cli), "db", "start"], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "SALESOPS_WAREHOUSE_URL is set" in result.stdout
    assert not settings.pgdata.exists()


def test_a_server_killed_with_sigkill_is_reported_stopped_and_recovers_at_the_next_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "killed"))
    monkeypatch.setenv("SALESOPS_PG_PORT", str(free_port()))
    monkeypatch.delenv("SALESOPS_WAREHOUSE_URL", raising=False)
    settings = load_settings()
    cli = Path(sys.executable).parent / "salesops"
    try:
        state = warehouse.start(settings)
        with psycopg2.connect(settings.warehouse_url) as conn, conn.cursor() as cur:
            cur.execute("create table kept (v int); insert into kept values (42)")
        conn.close()
        server = psutil.Process(state.pid)
        server.kill()
        server.wait(timeout=30)
        status = subprocess.run([str(cli), "db", "status"], capture_output=True, text=True, check=False)
        assert status.returncode == 3 and status.stdout.startswith("stopped:")
        show = subprocess.run([str(cli), "show", "kpi_win_rate"], capture_output=True, text=True, check=False)
        assert show.returncode == 2 and "Traceback" not in show.stderr and "salesops db start" in show.stderr
        warehouse.start(settings)  # crash recovery, then the data as committed
        with psycopg2.connect(settings.warehouse_url) as conn, conn.cursor() as cur:
            cur.execute("select v from kept")
            assert cur.fetchall() == [(42,)]
        conn.close()
    finally:
        warehouse.destroy(settings)


def test_a_running_server_on_another_port_than_the_setting_is_named(warehouse_server):
    """SALESOPS_PG_PORT changed while the server runs: status says where it listens instead of a URL
    that points nowhere."""
    import dataclasses

    elsewhere = dataclasses.replace(warehouse_server, pg_port=warehouse_server.pg_port + 1)
    with pytest.raises(WarehouseError, match=f"listens on port {warehouse_server.pg_port}, not on"
                                             f" SALESOPS_PG_PORT {warehouse_server.pg_port + 1}"):
        warehouse.status(elsewhere)
    assert warehouse.status(warehouse_server).running
    assert warehouse.status(elsewhere, check_port=False).running  # what `salesops db stop` looks at
