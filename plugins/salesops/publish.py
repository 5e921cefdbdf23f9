"""Write-audit-publish: swap the audited build schema into `marts` in one transaction.

BI reads `marts` only. The swap is two schema renames inside one transaction, so a reader
sees either the whole previous night or the whole new one, never a half-built table. The
previous version is kept as `marts_previous` for `salesops rollback`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from psycopg2.extensions import cursor as PgCursor

from salesops import warehouse
from salesops.config import Settings
from salesops.errors import PublishError

BUILD_SCHEMA = "marts_build"
PUBLISHED_SCHEMA = "marts"
PREVIOUS_SCHEMA = "marts_previous"

PUBLISH_LOG_DDL = """
create schema if not exists meta;
create table if not exists meta.publish_log (
    night date not null,
    run_id text not null,
    action text not null,
    tables jsonb not null,
    published_at timestamptz not null default now()
);
"""


@dataclass
class PublishedTable:
    name: str
    rows: int


def _schema_exists(cur: PgCursor, name: str) -> bool:
    cur.execute("select 1 from pg_namespace where nspname = %s", (name,))
    return cur.fetchone() is not None


def _tables_with_counts(cur: PgCursor, schema: str) -> list[PublishedTable]:
    cur.execute(
        "select table_name from information_schema.tables where table_schema = %s order by table_name", (schema,)
    )
    names = [row[0] for row in cur.fetchall()]
    tables = []
    for name in names:
        cur.execute(f'select count(*) from "{schema}"."{name}"')
        tables.append(PublishedTable(name, cur.fetchone()[0]))
    return tables


def reset_build_schema(settings: Settings) -> None:
    """Start a night's build from an empty build schema (no table left over from a failed night)."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(f"drop schema if exists {BUILD_SCHEMA} cascade")


def publish(settings: Settings, night: date, run_id: str) -> list[PublishedTable]:
    """Swap marts_build into marts atomically; the old marts becomes marts_previous."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(PUBLISH_LOG_DDL)
        # One publisher at a time; readers are never blocked by this lock.
        cur.execute("select pg_advisory_xact_lock(hashtext('salesops.publish'))")
        if not _schema_exists(cur, BUILD_SCHEMA):
            raise PublishError(f"nothing to publish: schema {BUILD_SCHEMA} does not exist (did dbt build run?)")
        tables = _tables_with_counts(cur, BUILD_SCHEMA)
        if not tables:
            raise PublishError(f"nothing to publish: schema {BUILD_SCHEMA} has no tables")
        cur.execute(f"drop schema if exists {PREVIOUS_SCHEMA} cascade")
        if _schema_exists(cur, PUBLISHED_SCHEMA):
            cur.execute(f"alter schema {PUBLISHED_SCHEMA} rename to {PREVIOUS_SCHEMA}")
        cur.execute(f"alter schema {BUILD_SCHEMA} rename to {PUBLISHED_SCHEMA}")
        _log(cur, night, run_id, "publish", tables)
    return tables


def rollback(settings: Settings) -> list[PublishedTable]:
    """Put marts_previous back as marts (the current marts becomes marts_previous)."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(PUBLISH_LOG_DDL)
        cur.execute("select pg_advisory_xact_lock(hashtext('salesops.publish'))")
        if not _schema_exists(cur, PREVIOUS_SCHEMA):
            raise PublishError(f"no {PREVIOUS_SCHEMA} schema: there is no earlier version to roll back to")
        cur.execute(f"alter schema {PREVIOUS_SCHEMA} rename to marts_rollback_tmp")
        if _schema_exists(cur, PUBLISHED_SCHEMA):
            cur.execute(f"alter schema {PUBLISHED_SCHEMA} rename to {PREVIOUS_SCHEMA}")
        cur.execute(f"alter schema marts_rollback_tmp rename to {PUBLISHED_SCHEMA}")
        tables = _tables_with_counts(cur, PUBLISHED_SCHEMA)
        cur.execute("select night, run_id from meta.publish_log where action = 'publish' order by published_at desc"
                    " offset 1 limit 1")
        row = cur.fetchone()
        _log(cur, row[0] if row else date(1970, 1, 1), row[1] if row else "unknown", "rollback", tables)
    return tables


def _log(cur: PgCursor, night: date, run_id: str, action: str, tables: list[PublishedTable]) -> None:
    cur.execute(
        "insert into meta.publish_log (night, run_id, action, tables) values (%s, %s, %s, %s)",
        (night, run_id, action, json.dumps({t.name: t.rows for t in tables})),
    )
