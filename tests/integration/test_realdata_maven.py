"""The converted Maven CRM sample loads as a night: its defects are kept in quarantine with their
reason, the ledger balances, the rest loads."""

from __future__ import annotations

from datetime import date

from salesops.loader import load_source
from salesops.realdata_maven import convert

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
