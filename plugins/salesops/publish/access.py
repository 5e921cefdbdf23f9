"""Who may read what: the `bi_reader` login sees the published marts and meta.dq_results, nothing else.

Grants follow the write-audit-publish swap: `publish` re-applies them to the freshly swapped-in
`marts` inside its own transaction (so every night's new tables are readable the moment they are
visible), and the build schema loses them before a night writes into it (it is the recycled
previous-but-one `marts`, which still carries the grants it had when published). `raw`, `staging`,
`intermediate`, the build schemas, `marts_restricted` (per-person pay) and the rest of `meta` are
never granted.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from salesops import credentials, warehouse
from salesops.config import PUBLISHED_SCHEMA, Settings

log = logging.getLogger(__name__)

BI_ROLE = "bi_reader"
ENGINEER_ROLE = "salesops_reader"  # engineers' read-only view of every schema (salesops show --engineer)
READABLE_SCHEMA = PUBLISHED_SCHEMA
READABLE_META_TABLES = ("dq_results",)


def role_exists(cur: PgCursor, role: str = BI_ROLE) -> bool:
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    return cur.fetchone() is not None


def bi_password(settings: Settings) -> str | None:
    """SALESOPS_BI_PASSWORD, else (embedded warehouse) the one generated into the owner-only password file."""
    given = settings.bi_password
    if given or not settings.uses_embedded_warehouse:
        return given
    return credentials.password(settings.passfile, BI_ROLE)


def bi_url(settings: Settings) -> str:
    """The warehouse URL as bi_reader: what BI tools (and `salesops show`) log in with."""
    if settings.uses_embedded_warehouse:
        return settings.embedded_url(BI_ROLE)
    parts = urlsplit(settings.warehouse_url)
    secret = bi_password(settings)
    login = BI_ROLE + (f":{quote(secret, safe='')}" if secret else "")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def _login(cur: PgCursor, conn: object, role_name: str, password: str | None) -> None:
    """A read-only login: created if missing, its password set (hashed before it leaves us)."""
    role = sql.Identifier(role_name)
    if not role_exists(cur, role_name):
        cur.execute(sql.SQL("create role {} login").format(role))
    if password:
        verifier = psycopg2.extensions.encrypt_password(password, role_name, conn, "scram-sha-256")
        cur.execute(sql.SQL("alter role {} with login password {}").format(role, sql.Literal(verifier)))
    # its sessions read: they cannot write even where a grant would let them
    cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
    cur.execute("select current_database()")
    database = sql.Identifier(cur.fetchone()[0])
    cur.execute(sql.SQL("grant connect on database {} to {}").format(database, role))


def create_bi_reader(settings: Settings, password: str | None = None) -> str:
    """Create (or update) the bi_reader login and grant what it may read; returns the role name.

    The password comes from SALESOPS_BI_PASSWORD unless given; on the embedded warehouse one is
    generated into the owner-only password file when neither is. It reaches the server hashed. On the
    embedded warehouse the engineers' read-only login (ENGINEER_ROLE) is made too, and locks are kept from
    everyone but the owner.
    """
    password = password or bi_password(settings)
    if settings.uses_embedded_warehouse:
        password = credentials.ensure_password(settings.passfile, BI_ROLE, given=password)
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        _login(cur, conn, BI_ROLE, password)
        cur.execute(sql.SQL("revoke all on schema public from {}").format(sql.Identifier(BI_ROLE)))
        cur.execute("create schema if not exists meta")
        grant_meta(cur)
        grant_published(cur)
        _keep_locks_to_the_owner(cur)
        if settings.uses_embedded_warehouse:
            _login(cur, conn, ENGINEER_ROLE, credentials.ensure_password(settings.passfile, ENGINEER_ROLE))
            cur.execute(sql.SQL("grant pg_read_all_data to {}").format(sql.Identifier(ENGINEER_ROLE)))
    return BI_ROLE


# Advisory locks serialise the pipeline (the night lock, DDL, publish): a reader holding one would stall every
# night, so only the warehouse's owner may take them.
_LOCK_FUNCTIONS = tuple(f"{name}({args})" for name in (
    "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared",
    "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared", "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared") for args in ("bigint", "integer, integer"))


def _keep_locks_to_the_owner(cur: PgCursor) -> None:
    cur.execute("savepoint locks")
    try:
        for function in _LOCK_FUNCTIONS:
            cur.execute(f"revoke execute on function pg_catalog.{function} from public")
            cur.execute(f"grant execute on function pg_catalog.{function} to current_user")
        cur.execute("release savepoint locks")
    except psycopg2.errors.InsufficientPrivilege as exc:  # a server we do not own: its admin decides
        cur.execute("rollback to savepoint locks")
        log.warning("cannot keep advisory locks to the warehouse's owner here (%s)", str(exc).strip())


def engineer_url(settings: Settings) -> str:
    """What `salesops show --engineer` logs in with: a read-everything, read-only login on the embedded
    warehouse (no superuser power a function call could use); the configured URL on another server."""
    return settings.embedded_url(ENGINEER_ROLE) if settings.uses_embedded_warehouse else settings.warehouse_url


def grant_meta(cur: PgCursor) -> None:
    """Usage on meta and select on its BI-facing tables only (not the load ledger or publish log)."""
    if not role_exists(cur):
        return
    role = sql.Identifier(BI_ROLE)
    cur.execute(sql.SQL("grant usage on schema meta to {}").format(role))
    for table in READABLE_META_TABLES:
        cur.execute("select to_regclass(%s)", (f"meta.{table}",))
        if cur.fetchone()[0] is not None:
            cur.execute(sql.SQL("grant select on meta.{} to {}").format(sql.Identifier(table), role))


def _role_and_schema_exist(cur: PgCursor, schema: str) -> bool:
    if not role_exists(cur):
        return False
    cur.execute("select 1 from pg_namespace where nspname = %s", (schema,))
    return cur.fetchone() is not None


def grant_published(cur: PgCursor) -> None:
    """bi_reader reads every table of the published marts (called inside the publish transaction)."""
    if not _role_and_schema_exist(cur, READABLE_SCHEMA):
        return
    schema, role = sql.Identifier(READABLE_SCHEMA), sql.Identifier(BI_ROLE)
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema, role))
    cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, role))


def revoke_schema(cur: PgCursor, schema: str) -> None:
    """Take bi_reader's grants off a schema that is about to be written (a recycled build schema)."""
    if not _role_and_schema_exist(cur, schema):
        return
    name, role = sql.Identifier(schema), sql.Identifier(BI_ROLE)
    cur.execute(sql.SQL("revoke usage on schema {} from {}").format(name, role))
    cur.execute(sql.SQL("revoke select on all tables in schema {} from {}").format(name, role))
