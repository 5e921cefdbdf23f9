"""The warehouse's own tables, defined here and nowhere else: meta.* (the load ledger and flags, quality
results, the publish log, the night lock), raw.* (an extract's partitioned table and its quarantine) and
forecast.* (what the Python time series writes). Every statement is idempotent: a module that writes a
table ensures it first, in its own transaction."""

from __future__ import annotations

from psycopg2 import sql
from psycopg2.extensions import cursor as PgCursor

from salesops.contracts import Entity

# Held to the caller's commit around DDL: concurrent loads would both try `create schema if not exists`.
DDL_LOCK = "select pg_advisory_xact_lock(hashtext('salesops.ddl'))"

LEDGER_DDL = """
create schema if not exists meta;
create table if not exists meta.load_ledger (
    night date not null,
    source text not null,
    entity text not null,
    file_path text,
    checksum_sha256 text,
    size_bytes bigint,
    rows_read bigint not null default 0,
    rows_loaded bigint not null default 0,
    rows_rejected bigint not null default 0,
    extra_columns text[] not null default '{}',
    status text not null,
    message text,
    started_at timestamptz not null,
    finished_at timestamptz,
    duration_seconds numeric,
    primary key (night, source, entity),
    constraint rows_balance check (rows_read = rows_loaded + rows_rejected)
);
alter table meta.load_ledger add column if not exists lines_read bigint not null default 0;
alter table meta.load_ledger add column if not exists rows_flagged bigint not null default 0;
create table if not exists meta.load_flags (
    night date not null,
    source text not null,
    entity text not null,
    line_number bigint not null,
    column_name text not null,
    reason text not null
);
create index if not exists load_flags_file on meta.load_flags (night, source, entity);
"""
STATUSES = ("loaded", "failed", "missing", "ignored")


def ensure_ledger(cur: PgCursor) -> None:
    """Create the ledger if missing. The three sources load in parallel, and two concurrent
    `create schema if not exists` can both try to create it: a lock held to the caller's commit
    serialises this DDL (and the raw tables the loader creates next in the same transaction)."""
    cur.execute(DDL_LOCK)
    cur.execute(LEDGER_DDL)
    cur.execute("select pg_get_constraintdef(oid) from pg_constraint where conname = 'known_status'"
                " and conrelid = 'meta.load_ledger'::regclass")
    found = cur.fetchone()
    if found is None or any(f"'{status}'" not in found[0] for status in STATUSES):
        cur.execute("alter table meta.load_ledger drop constraint if exists known_status")
        cur.execute("alter table meta.load_ledger add constraint known_status check (status in ("
                    + ", ".join(f"'{status}'" for status in STATUSES) + "))")


def ensure_raw_tables(cur: PgCursor, entity: Entity) -> None:
    """Create the raw table (all text, partitioned by night) and its quarantine table."""
    cur.execute("create schema if not exists raw")
    columns = [sql.SQL("{} text").format(sql.Identifier(name)) for name in entity.column_names]
    cur.execute("show server_version_num")
    if int(cur.fetchone()[0]) >= 180000:
        # Derived from the batch and never stored: the same long text on every row of a batch.
        label = sql.SQL("text generated always as ({} || _batch_id || {}) virtual").format(
            sql.Literal(f"{entity.source}/"), sql.Literal(f"/{entity.name}.csv"))
    else:
        label = sql.SQL("text")  # each partition gets its label as a default instead
    cur.execute(
        sql.SQL(
            "create table if not exists raw.{table} ({columns}, _batch_id text not null, _source_file {label},"
            " _line_number bigint, _loaded_at timestamptz not null default now()) partition by list (_batch_id)"
        ).format(table=sql.Identifier(entity.key), columns=sql.SQL(", ").join(columns), label=label)
    )
    cur.execute(
        sql.SQL(
            "create table if not exists raw.{table} (_batch_id text not null, _source_file text,"
            " _line_number bigint, column_name text, reason text not null, raw_record text,"
            " _loaded_at timestamptz not null default now())"
        ).format(table=sql.Identifier(f"{entity.key}__rejected"))
    )


DQ_RESULTS_DDL = """
create schema if not exists meta;
create table if not exists meta.dq_results (
    run_id text not null,
    night date not null,
    layer text not null,
    suite text not null,
    expectation text not null,
    column_name text,
    rule text,
    severity text not null,
    success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    unexpected_percent numeric,
    sample_bad_values jsonb,
    details jsonb,
    checked_at timestamptz not null
);
create index if not exists dq_results_night on meta.dq_results (night, layer);
-- the real sampled values of checks on personal columns (dq_results, which BI reads, has them masked)
create table if not exists meta.dq_samples_restricted (
    run_id text not null,
    night date not null,
    layer text not null,
    suite text not null,
    expectation text not null,
    column_name text,
    sample_bad_values jsonb not null,
    checked_at timestamptz not null
);
"""

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

LOCK_DDL = """
create schema if not exists meta;
create table if not exists meta.night_lock (
    only_row boolean primary key default true check (only_row),
    night date,
    holder text not null,
    run_id text,
    pid integer,
    backend_pid integer,
    token text not null,
    since timestamptz not null default now()
);
alter table meta.night_lock add column if not exists worker_pgid integer;
"""

TIME_SERIES_DDL = """
create schema if not exists forecast;
create table if not exists forecast.time_series_forecasts (
    as_of_date date not null,
    period_type text not null,
    period_start date not null,
    scope text not null,
    method text not null,
    forecast_usd numeric(18, 2) not null,
    lower_usd numeric(18, 2) not null,
    upper_usd numeric(18, 2) not null,
    fitted_months integer not null,
    primary key (as_of_date, period_type, period_start, scope)
);
alter table forecast.time_series_forecasts add column if not exists model text not null default 'ets';
-- the scopes a day's forecast could not model as usual (a fallback, or none), and why: the night's report shows them
create table if not exists forecast.time_series_notes (
    as_of_date date not null,
    scope text not null,
    model text not null,
    note text not null
);
"""
