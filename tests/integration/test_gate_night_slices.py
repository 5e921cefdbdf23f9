"""The audit views the mart gate checks instead of whole tables hold what the night could have broken."""

from __future__ import annotations

from datetime import date

from salesops.quality.quality_suites import AUDIT_SCHEMA, MARTS, facts_written_whole, mart_check_views_sql


def _view_of(table: str, night: str, build_schema: str) -> str:
    (statement,) = [s for s in mart_check_views_sql(night, build_schema) if f".marts__{table} as" in s]
    return statement


def test_the_gate_reads_every_row_of_the_weeks_kpi_activity_rewrote(db):
    """kpi_activity replaces whole weeks by an engine step, not by dbt's delete+insert on its grain:
    its audit view holds every row of the weeks the night wrote, so a week appended while its old rows
    stayed shows as a duplicate of the grain. Here E1's week of the 16th is written on the 21st and its
    row of the 14th was left behind; E2's week of the 9th was not touched."""
    with db.cursor() as cur:
        cur.execute(f"create schema build; create schema {AUDIT_SCHEMA}")
        cur.execute("create table build.kpi_activity (employee_id text, week_start date, calls integer,"
                    " loaded_through date)")
        cur.execute("insert into build.kpi_activity values ('E1', '2026-11-16', 3, '2026-11-21'),"
                    " ('E1', '2026-11-16', 2, '2026-11-14'), ('E2', '2026-11-09', 1, '2026-11-14')")
        cur.execute(_view_of("kpi_activity", "2026-11-21", "build"))
        cur.execute(f"select employee_id, week_start, calls from {AUDIT_SCHEMA}.marts__kpi_activity order by calls")
        assert cur.fetchall() == [("E1", date(2026, 11, 16), 2), ("E1", date(2026, 11, 16), 3)]
        # a fact kept by dbt's delete+insert on its key is read by the night's rows only
        cur.execute("create table build.fct_contracts (contract_id text, loaded_through date)")
        cur.execute("insert into build.fct_contracts values ('C1', '2026-11-21'), ('C2', '2026-11-14')")
        cur.execute(_view_of("fct_contracts", "2026-11-21", "build"))
        cur.execute(f"select contract_id from {AUDIT_SCHEMA}.marts__fct_contracts")
        assert cur.fetchall() == [("C1",)]


def test_a_fact_with_no_row_from_before_the_night_is_written_whole(db):
    """A full build wrote every row of a fact tonight: the gate finds it so, and reads such a fact through a
    plain view (the SQL is checked in test_gx_suites_in_sync)."""
    with db.cursor() as cur:
        cur.execute("create schema build")
        cur.execute("create table build.fct_contracts (contract_id text, loaded_through date)")
        cur.execute("insert into build.fct_contracts values ('C1', '2026-11-21'), ('C2', '2026-11-21')")
        cur.execute("create table build.fct_leads (lead_id text, loaded_through date)")
        cur.execute("insert into build.fct_leads values ('L1', '2026-11-21'), ('L2', '2026-11-14')")
        for mart in MARTS:  # the other night-sliced facts, empty
            if mart.night_column and mart.table not in ("fct_contracts", "fct_leads"):
                cur.execute(f"create table build.{mart.table} ({mart.night_column} date)")
        whole = facts_written_whole(cur, "build", "2026-11-21")
        # empty tables have no row from before the night either; fct_leads keeps L2 from the 14th
        assert "fct_contracts" in whole and "fct_leads" not in whole


def test_the_gate_views_follow_a_mart_whose_columns_changed(db):
    """An upgrade that adds a column to a mart (a full refresh builds it anew): the gate's view of its night
    slice, still bound to the published table's old columns, is replaced, not renamed column by column
    (`create or replace view` refused: cannot change name of view column)."""
    with db.cursor() as cur:
        cur.execute(f"create schema published; create schema build; create schema {AUDIT_SCHEMA}")
        cur.execute("create table published.fct_pipeline_daily (snapshot_date date, amount_usd numeric)")
        cur.execute(_view_of("fct_pipeline_daily", "2026-11-21", "published"))
        cur.execute("create table build.fct_pipeline_daily (snapshot_date date, expected_close_date date,"
                    " amount_usd numeric)")
        cur.execute("insert into build.fct_pipeline_daily values ('2026-11-21', '2026-12-01', 5)")
        cur.execute(_view_of("fct_pipeline_daily", "2026-11-21", "build"))
        cur.execute(f"select * from {AUDIT_SCHEMA}.marts__fct_pipeline_daily")
        assert [d.name for d in cur.description] == ["snapshot_date", "expected_close_date", "amount_usd"]
        assert cur.fetchall() == [(date(2026, 11, 21), date(2026, 12, 1), 5)]
