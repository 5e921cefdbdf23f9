"""Who may read what: the `bi_reader` login sees the published marts and meta.dq_results, nothing else.

Grants follow the write-audit-publish swap: `publish` re-applies them to the freshly swapped-in
`marts` inside its own transaction (so every night's new tables are readable the moment they are
visible), and the build schema loses them before a night writes into it (it is the recycled
previous-but-one `marts`, which still carries the grants it had when published). `raw`, `staging`,
`intermediate`, the build schemas, `marts_restricted` (per-person pay) and the rest of `meta` are
never granted.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from salesops import credentials, warehouse
from salesops.config import Settings

BI_ROLE = "bi_reader"
READABLE_SCHEMA = "marts"
READABLE_META_TABLES = ("dq_results",)


def role_exists(cur: PgCursor, role: str = BI_ROLE) -> bool:
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    return cur.fetchone() is not None


def bi_password(settings: Settings) -> str | None:
    """SALESOPS_BI_PASSWORD, else (embedded warehouse) the one generated into the owner-only password file."""
    given = os.environ.get("SALESOPS_BI_PASSWORD") or None
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


def create_bi_reader(settings: Settings, password: str | None = None) -> str:
    """Create (or update) the bi_reader login and grant what it may read; returns the role name.

    The password comes from SALESOPS_BI_PASSWORD unless given; on the embedded warehouse one is
    generated into the owner-only password file when neither is. It reaches the server hashed.
    """
    password = password or bi_password(settings)
    if settings.uses_embedded_warehouse:
        password = credentials.ensure_password(settings.passfile, BI_ROLE, given=password)
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        role = sql.Identifier(BI_ROLE)
        if not role_exists(cur):
            cur.execute(sql.SQL("create role {} login").format(role))
        if password:
            verifier = psycopg2.extensions.encrypt_password(password, BI_ROLE, conn, "scram-sha-256")
            cur.execute(sql.SQL("alter role {} with login password {}").format(role, sql.Literal(verifier)))
        # a BI session reads: it cannot write even where a grant would let it
        cur.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
        cur.execute("select current_database()")
        database = sql.Identifier(cur.fetchone()[0])
        cur.execute(sql.SQL("grant connect on database {} to {}").format(database, role))
        cur.execute(sql.SQL("revoke all on schema public from {}").format(role))
        cur.execute("create schema if not exists meta")
        grant_meta(cur)
        grant_published(cur)
    return BI_ROLE


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


def grant_published(cur: PgCursor) -> None:
    """bi_reader reads every table of the published marts (called inside the publish transaction)."""
    if not role_exists(cur):
        return
    cur.execute("select 1 from pg_namespace where nspname = %s", (READABLE_SCHEMA,))
    if cur.fetchone() is None:
        return
    schema, role = sql.Identifier(READABLE_SCHEMA), sql.Identifier(BI_ROLE)
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema, role))
    cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, role))


def revoke_schema(cur: PgCursor, schema: str) -> None:
    """Take bi_reader's grants off a schema that is about to be written (a recycled build schema)."""
    if not role_exists(cur):
        return
    cur.execute("select 1 from pg_namespace where nspname = %s", (schema,))
    if cur.fetchone() is None:
        return
    name, role = sql.Identifier(schema), sql.Identifier(BI_ROLE)
    cur.execute(sql.SQL("revoke usage on schema {} from {}").format(name, role))
    cur.execute(sql.SQL("revoke select on all tables in schema {} from {}").format(name, role))
