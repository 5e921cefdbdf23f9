"""One night at a time on a warehouse: a lock held for a whole night, named in meta.night_lock.

`salesops run`, `backfill`, `rollback` and `maintenance` hold a Postgres advisory lock on a session of
their own for as long as they work, and write who holds it (night, pid, since) into meta.night_lock;
the Airflow run they start finds its token in SALESOPS_NIGHT_LOCK_TOKEN. A run the scheduler starts has
no such session: its first task takes a lease in meta.night_lock for its run id, its tasks check it,
and its last task gives it back. Whoever comes second is refused with the holder's night, pid and
start. A holder that died (its session gone) leaves a lock anyone may take over; a scheduled run that
died before giving its lease back leaves one that `salesops unlock` clears.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from salesops import schema, warehouse
from salesops.config import NIGHT_LOCK_TOKEN_VARIABLE, Settings, night_lock_token
from salesops.errors import NightLockedError, WarehouseError

log = logging.getLogger(__name__)

HOLDER_VARIABLE = NIGHT_LOCK_TOKEN_VARIABLE
_SESSION_KEY = "hashtext('salesops.night')"  # held by the session of a CLI holder for its whole work
_ROW_KEY = "hashtext('salesops.night_lock_row')"  # serialises reading and writing the row



def _ensure(cur: PgCursor) -> None:
    cur.execute(schema.DDL_LOCK)
    cur.execute(schema.LOCK_DDL)
    cur.execute(f"select pg_advisory_xact_lock({_ROW_KEY})")


def _current(cur: PgCursor) -> dict | None:
    """The lock's row, with whether its holder's session (a CLI holder's) is still alive."""
    cur.execute("select night, holder, run_id, pid, backend_pid, token, since,"
                " backend_pid is not null and exists (select 1 from pg_stat_activity where pid = backend_pid),"
                " worker_pgid from meta.night_lock")
    row = cur.fetchone()
    if row is None:
        return None
    keys = ("night", "holder", "run_id", "pid", "backend_pid", "token", "since", "alive", "worker_pgid")
    return dict(zip(keys, row, strict=True))


def describe(row: dict) -> str:
    what = f"night {row['night']}" if row["night"] else "warehouse work"
    return (f"{what} is already running since {row['since']:%Y-%m-%d %H:%M:%S %Z} ({row['holder']}"
            + (f", pid {row['pid']}" if row["pid"] else "") + ")")


@contextmanager
def hold(settings: Settings, night: date | None, what: str) -> Iterator[str]:
    """Hold the warehouse for a command's whole work; yields the token its Airflow run is given."""
    conn = warehouse.connect(settings)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f"select pg_try_advisory_lock({_SESSION_KEY})")
            free = cur.fetchone()[0]
            with conn:  # one transaction: read the row, then write ours
                conn.autocommit = False
                _ensure(cur)
                row = _current(cur)
                if not free or (row is not None and (row["alive"] or row["backend_pid"] is None)):
                    if row is None:
                        raise NightLockedError("another salesops command holds the warehouse")
                    gone = " (if that run is gone for good: `salesops unlock`)" if row["backend_pid"] is None else ""
                    raise NightLockedError(describe(row) + gone)
                if row is not None and row["worker_pgid"]:
                    _stop_orphaned_run(row["worker_pgid"])
                token = secrets.token_hex(16)
                cur.execute("delete from meta.night_lock")
                cur.execute("insert into meta.night_lock (night, holder, pid, backend_pid, token)"
                            " values (%s, %s, %s, pg_backend_pid(), %s)",
                            (night, f"{what} on {socket.gethostname()}", os.getpid(), token))
            conn.autocommit = True
            try:
                yield token
            finally:
                _give_back(settings, conn, token)
    finally:
        conn.close()


def _give_back(settings: Settings, conn: PgConnection, token: str) -> None:
    """Delete our row and end our session's lock; when the warehouse went away meanwhile (a restart ends every
    session, and the lock with it), the row is deleted over a new connection."""
    import psycopg2

    try:
        with conn.cursor() as cur:
            cur.execute("delete from meta.night_lock where token = %s", (token,))
            cur.execute(f"select pg_advisory_unlock({_SESSION_KEY})")
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        try:
            with warehouse.transaction(settings) as fresh, fresh.cursor() as cur:
                cur.execute("delete from meta.night_lock where token = %s", (token,))
        except WarehouseError as exc:  # the warehouse is down: our row is a dead holder's, which the next takes over
            log.warning("could not clear the night lock (%s); the next run takes it over", exc)


def record_worker(settings: Settings, token: str, pgid: int) -> None:
    """The process group of the Airflow run a holder started: stopped by whoever takes over after the holder
    died, so an orphaned run never works beside the next one."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute("update meta.night_lock set worker_pgid = %s where token = %s", (pgid, token))


def _stop_orphaned_run(pgid: int) -> None:
    """Kill a dead holder's Airflow run (its process group), when it is still there and still Airflow's."""
    try:
        command = Path(f"/proc/{pgid}/cmdline").read_bytes()
    except OSError:
        return  # gone already (or not Linux: nothing to check it by)
    if b"airflow" not in command:
        return  # the group id was reused by something else
    try:
        os.killpg(pgid, signal.SIGKILL)
        log.warning("stopped the Airflow run (process group %s) a killed salesops command left behind", pgid)
    except (ProcessLookupError, PermissionError):
        pass


def set_night(settings: Settings, token: str, night: date) -> None:
    """A holder working through several nights (a backfill) says which one it is on."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute("update meta.night_lock set night = %s where token = %s", (night, token))


def check_task(settings: Settings, night: date, run_id: str) -> None:
    """At a task's start: go on only when the lock is this run's (a CLI holder's token, or this scheduled
    run's lease, which its first task takes when the warehouse is free)."""
    token = night_lock_token()
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        _ensure(cur)
        row = _current(cur)
        if row is not None and token and row["token"] == token:
            return
        if row is not None and row["backend_pid"] is None and row["run_id"] == run_id:
            return
        if row is not None and (row["alive"] or row["backend_pid"] is None):
            raise NightLockedError(f"{describe(row)}: this run ({run_id}, night {night}) may not touch the warehouse")
        cur.execute(f"select pg_try_advisory_lock({_SESSION_KEY})")
        if not cur.fetchone()[0]:
            raise NightLockedError(f"another salesops command holds the warehouse: this run ({run_id}) may not go on")
        cur.execute(f"select pg_advisory_unlock({_SESSION_KEY})")
        cur.execute("delete from meta.night_lock")  # a dead holder's row, or none
        cur.execute("insert into meta.night_lock (night, holder, run_id, pid, token) values (%s, %s, %s, %s, %s)",
                    (night, f"Airflow run {run_id}", run_id, os.getpid(), run_id))


def release_task(settings: Settings, run_id: str) -> None:
    """The scheduled run's last task gives its lease back (a CLI holder releases its own)."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        _ensure(cur)
        cur.execute("delete from meta.night_lock where run_id = %s and backend_pid is null", (run_id,))


def unlock(settings: Settings) -> dict | None:
    """Clear a lease left by a run that died (refused while a live command holds the warehouse)."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        _ensure(cur)
        row = _current(cur)
        if row is not None and row["alive"]:
            raise NightLockedError(f"{describe(row)} and its session is alive: stop it instead")
        cur.execute("delete from meta.night_lock")
        return row
