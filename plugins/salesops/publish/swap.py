"""Write-audit-publish: swap the audited build schemas into `marts` in one transaction.

BI reads `marts` only. The swap is schema renames inside one transaction, so a reader sees
either the whole previous night or the whole new one, never a half-built table. The previous
version is kept as `marts_previous` for `salesops rollback`. `marts_restricted` (per-person
compensation) is built beside the marts and swapped with them.

The build schema of a night is the previous-but-one published version, recycled: its
incremental tables (daily snapshots, activities, stage changes) then only catch up the nights
since, so a night's cost follows the change, not the history, and `marts` is never written to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from salesops import schema, warehouse
from salesops.config import BUILD_SCHEMA, PREVIOUS_SCHEMA, PUBLISHED_SCHEMA, Settings
from salesops.errors import PublishError
from salesops.publish import access

RESTRICTED = "_restricted"  # marts_build_restricted -> marts_restricted -> marts_previous_restricted



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


def restricted(schema: str) -> str:
    """The restricted twin of a marts schema (marts -> marts_restricted)."""
    return f"{schema}{RESTRICTED}"


def prepare_build_schema(settings: Settings, night: date, full_refresh: bool = False) -> str:
    """Give the night a build schema; returns how: 'kept' (left by an unpublished night, whose slices
    tonight replaces), 'recycled' (the previous-but-one marts) or 'empty' (a full build). A schema holding a
    later night than tonight's (a rerun of an older night) is never reused: its later slices would stay."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('salesops.publish'))")
        cur.execute(f"drop schema if exists {restricted(BUILD_SCHEMA)} cascade")  # small: always rebuilt

        def later(schema: str) -> bool:
            held = night_of(cur, schema)
            return held is not None and held[0] > night

        if full_refresh or later(BUILD_SCHEMA):
            cur.execute(f"drop schema if exists {BUILD_SCHEMA} cascade")
        how = "empty"
        if _schema_exists(cur, BUILD_SCHEMA):
            how = "kept"
        elif not full_refresh and _schema_exists(cur, PREVIOUS_SCHEMA) and not later(PREVIOUS_SCHEMA):
            cur.execute(f"alter schema {PREVIOUS_SCHEMA} rename to {BUILD_SCHEMA}")
            cur.execute(f"drop schema if exists {restricted(PREVIOUS_SCHEMA)} cascade")
            how = "recycled"
        else:  # a later night's marts_previous stays, for rollback
            cur.execute(f"create schema {BUILD_SCHEMA}")
        access.revoke_schema(cur, BUILD_SCHEMA)  # published once, maybe: BI must not see it being built
        _stamp(cur, BUILD_SCHEMA, night, "building")  # which night's slices it holds, should it be kept
        return how


def _stamp(cur: PgCursor, schema: str, night: date, run_id: str) -> None:
    """Name the night a schema holds on the schema itself: the stamp moves with every rename."""
    stamp = json.dumps({"night": night.isoformat(), "run_id": run_id})
    cur.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(schema), sql.Literal(stamp)))


def night_of(cur: PgCursor, schema: str) -> tuple[date, str] | None:
    """(night, run id) a published schema holds, from its stamp (None when it has none)."""
    cur.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s", (schema,))
    row = cur.fetchone()
    try:
        stamp = json.loads(row[0]) if row and row[0] else None
    except json.JSONDecodeError:
        stamp = None
    return (date.fromisoformat(stamp["night"]), stamp["run_id"]) if stamp else None


def live_night(settings: Settings) -> date | None:
    """The night BI reads now (None before the first publish)."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        found = night_of(cur, PUBLISHED_SCHEMA)
    return found[0] if found else None


def refuse_rewind(live: date | None, night: date) -> None:
    """A night older than the live one would move BI back in time: only on purpose (--rewind)."""
    if live is not None and night < live:
        raise PublishError(f"marts holds the night of {live}; publishing {night} would move BI back to an older"
                           " night. Run it with --rewind to do that on purpose (a backfill of past nights, say).")


def publish(settings: Settings, night: date, run_id: str, rewind: bool = False) -> list[PublishedTable]:
    """Swap marts_build into marts atomically; the old marts becomes marts_previous. A night older than the
    live one is refused unless `rewind` (and logged as a rewind)."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(schema.PUBLISH_LOG_DDL)
        # One publisher at a time; readers are never blocked by this lock.
        cur.execute("select pg_advisory_xact_lock(hashtext('salesops.publish'))")
        live = night_of(cur, PUBLISHED_SCHEMA)
        if not rewind:
            refuse_rewind(live[0] if live else None, night)
        if not _schema_exists(cur, BUILD_SCHEMA):
            raise PublishError(f"nothing to publish: schema {BUILD_SCHEMA} does not exist (did dbt build run?)")
        tables = _tables_with_counts(cur, BUILD_SCHEMA)
        if not tables:
            raise PublishError(f"nothing to publish: schema {BUILD_SCHEMA} has no tables")
        _stamp(cur, BUILD_SCHEMA, night, run_id)
        for build, published, previous in _schema_triples():
            cur.execute(f"drop schema if exists {previous} cascade")
            if _schema_exists(cur, published):
                cur.execute(f"alter schema {published} rename to {previous}")
            if _schema_exists(cur, build):
                cur.execute(f"alter schema {build} rename to {published}")
        access.grant_published(cur)
        access.revoke_schema(cur, PREVIOUS_SCHEMA)
        _log(cur, night, run_id, "rewind" if live and night < live[0] else "publish", tables)
    return tables


@dataclass
class RolledBack:
    live_before: date | None
    live_after: date
    tables: list[PublishedTable]


def rollback(settings: Settings) -> RolledBack:
    """Put marts_previous back as marts (the current marts becomes marts_previous); the log names the
    night marts then holds, read from the schema's own stamp."""
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(schema.PUBLISH_LOG_DDL)
        cur.execute("select pg_advisory_xact_lock(hashtext('salesops.publish'))")
        before = (night_of(cur, PUBLISHED_SCHEMA) or (None,))[0]
        if not _schema_exists(cur, PREVIOUS_SCHEMA):
            raise PublishError(f"no {PREVIOUS_SCHEMA} schema: there is no earlier version to roll back to (a night's"
                               " build recycles it as its build schema: roll back before the next night runs)")
        for _, published, previous in _schema_triples():
            if _schema_exists(cur, previous):
                cur.execute(f"alter schema {previous} rename to {published}_rollback_tmp")
            if _schema_exists(cur, published):
                cur.execute(f"alter schema {published} rename to {previous}")
            if _schema_exists(cur, f"{published}_rollback_tmp"):
                cur.execute(f"alter schema {published}_rollback_tmp rename to {published}")
        access.grant_published(cur)
        access.revoke_schema(cur, PREVIOUS_SCHEMA)
        tables = _tables_with_counts(cur, PUBLISHED_SCHEMA)
        night, run_id = night_of(cur, PUBLISHED_SCHEMA) or (date(1970, 1, 1), "unknown (published before stamps)")
        _log(cur, night, run_id, "rollback", tables)
    return RolledBack(before, night, tables)


def _schema_triples() -> list[tuple[str, str, str]]:
    """(build, published, previous) for the marts and their restricted twin."""
    names = (BUILD_SCHEMA, PUBLISHED_SCHEMA, PREVIOUS_SCHEMA)
    return [names, tuple(restricted(name) for name in names)]


def _log(cur: PgCursor, night: date, run_id: str, action: str, tables: list[PublishedTable]) -> None:
    cur.execute(
        "insert into meta.publish_log (night, run_id, action, tables) values (%s, %s, %s, %s)",
        (night, run_id, action, json.dumps({t.name: t.rows for t in tables})),
    )
