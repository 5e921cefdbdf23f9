"""The converted Maven CRM sample loads as a night: its defects are kept in quarantine with their
reason, the ledger balances, the rest loads."""

from __future__ import annotations

from datetime import date

from salesops.ingest.loader import load_source
from salesops.ingest.realdata_maven import convert

from ..unit.test_realdata_maven import SAMPLE

NIGHT = date(2017, 12, 31)


def test_the_converted_sample_loads_and_quarantines_the_deal_without_a_creation_date(db, tmp_path):
    convert(SAMPLE, tmp_path, NIGHT)
    results = {r.entity: r for source in ("crm", "hr") for r in load_source(db, tmp_path, source, NIGHT)}
    # 5 deals read: P1 (no engage date, so no created_at) is rejected, the other four load
    deals = results["opportunities"]
    assert (deals.rows_read, deals.rows_loaded, deals.rows_rejected) == (5, 4, 1)
    with db.cursor() as cur:
        cur.execute("select _line_number, column_name, reason from raw.crm__opportunities__rejected")
        assert cur.fetchall() == [(6, "created_at", "expected a value, got an empty field")]  # line 6: P1
        cur.execute("select count(*) from meta.load_ledger where rows_read <> rows_loaded + rows_rejected")
        assert cur.fetchone() == (0,)
    assert {name: r.rows_loaded for name, r in results.items() if r.rows_loaded} == {
        "accounts": 2, "users": 2, "opportunities": 4, "opportunity_history": 6, "fx_rates": 1,
        "employees": 3, "territory_assignments": 2}


def test_a_real_export_with_no_quotas_publishes_everything_else_and_says_why_the_quota_kpis_are_empty(
        db, warehouse_server, tmp_path):
    """SPEC section 5: the Maven data has no quotas. The quota KPIs are empty because their input is; the
    mart gate publishes the night with a warning saying so (it stopped the whole night before), and the
    win rate, deal size and cycle are there."""
    from salesops.orchestration import nightly
    from salesops.publish import swap
    from salesops.quality import quality_gate

    convert(SAMPLE, tmp_path, NIGHT)  # no --quarterly-quota: no quota rows at all
    for source in ("crm", "contracts", "hr"):  # no contract extracts: recorded missing, the source is optional
        load_source(db, tmp_path, source, NIGHT)
    quality_gate.prepare_audit_views(warehouse_server, NIGHT)  # as the raw gate does: every raw table exists
    nightly.build(NIGHT, settings=warehouse_server)
    nightly.forecast(NIGHT, settings=warehouse_server)
    gate = quality_gate.run_gate(warehouse_server, "marts", NIGHT, "maven-no-quota")  # raises on a critical
    warnings = [c.describe() for c in gate.failed if c.severity != "critical"]
    assert any("kpi_quota_attainment is empty: hr/quotas holds no bookings quota" in w for w in warnings), warnings
    swap.publish(warehouse_server, NIGHT, "maven-no-quota")
    with db.cursor() as cur:
        for table in ("kpi_win_rate", "kpi_deal_size", "kpi_sales_cycle"):
            cur.execute(f"select count(*) from marts.{table}")
            assert cur.fetchone()[0] > 0, table
        cur.execute("select count(*) from marts.kpi_quota_attainment")
        assert cur.fetchone() == (0,)
