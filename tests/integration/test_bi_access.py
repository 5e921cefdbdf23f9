"""The bi_reader login reads the published marts and meta.dq_results, and nothing else: not raw, not HR
personal data, not per-person pay, not a build in progress; grants follow every swap."""

from __future__ import annotations

from datetime import date

import psycopg2
import pytest

from salesops import schema
from salesops.contracts import SOURCES
from salesops.ingest.loader import load_source
from salesops.orchestration import nightly
from salesops.publish import access, swap

from ..conftest import SAMPLE_LANDING

pytestmark = pytest.mark.slow
NIGHTS = (date(2026, 11, 19), date(2026, 11, 20))
# The marts the test reads and what they are built from: a whole build per night is not needed to
# check the grants (they cover every table of a schema, whatever the tables are).
MARTS_READ = ["+kpi_win_rate", "+kpi_quota_attainment", "+kpi_compensation", "+opportunities_snapshot"]


def readable(url: str, table: str) -> bool:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"select count(*) from {table}")
            cur.fetchone()
        return True
    except psycopg2.errors.InsufficientPrivilege:
        return False
    finally:
        conn.close()


def test_bi_reader_reads_marts_and_data_quality_only(db, warehouse_server):
    with db.cursor() as cur:
        cur.execute(schema.DQ_RESULTS_DDL)
    db.commit()
    access.create_bi_reader(warehouse_server, password="not-a-real-secret")  # noqa: S106 - test-only password
    bi_url = warehouse_server.warehouse_url.replace("postgres@", f"{access.BI_ROLE}:not-a-real-secret@")
    for night in NIGHTS:
        for source in SOURCES:
            load_source(db, SAMPLE_LANDING, source, night)
        nightly.build(night, settings=warehouse_server, select=MARTS_READ)
        swap.publish(warehouse_server, night, f"test-{night}")

    for table in ("marts.kpi_win_rate", "marts.kpi_quota_attainment", "marts.fct_opportunities", "meta.dq_results"):
        assert readable(bi_url, table), table
    for table in ("raw.crm__opportunities", "raw.hr__employees", "raw.hr__employees__rejected",
                  "staging.stg_hr__employees", "intermediate.int_opportunities_enriched",
                  "snapshots.opportunities_snapshot", "marts_restricted.kpi_compensation", "meta.load_ledger",
                  "meta.publish_log", "marts_previous.kpi_win_rate"):
        assert not readable(bi_url, table), table

    # Every published table and column carries its dbt description as a comment, readable by BI.
    conn = psycopg2.connect(bi_url)
    try:
        with conn.cursor() as cur:
            cur.execute("select c.relname, obj_description(c.oid, 'pg_class') from pg_class c"
                        " join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'marts' and c.relkind = 'r'")
            tables = dict(cur.fetchall())
            cur.execute("select c.relname, a.attname, col_description(c.oid, a.attnum) from pg_class c"
                        " join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid"
                        " where n.nspname = 'marts' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped")
            columns = cur.fetchall()
    finally:
        conn.close()
    assert tables and all(tables.values()), [name for name, comment in tables.items() if not comment]
    assert columns and all(comment for *_, comment in columns), [c[:2] for c in columns if not c[2]]
    assert tables["kpi_win_rate"].startswith("Grain:")
    assert ("fct_opportunities", "opportunity_id", "CRM opportunity id.") in columns  # a doc() block, rendered

    # The next night recycles the previous-but-one marts as its build schema: BI must not see it built.
    assert swap.prepare_build_schema(warehouse_server, date(2026, 11, 21)) == "recycled"
    assert not readable(bi_url, "marts_build.kpi_win_rate")
    assert readable(bi_url, "marts.kpi_win_rate")
