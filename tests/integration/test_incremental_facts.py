"""The enriched deals and converted leads, and fct_opportunities and fct_leads on them, are kept incrementally
by key: a night rewrites only the deals and leads that changed. Changes that arrive through another table
must reach them too. The KPI tables by close period on fct_opportunities recompute only the periods a night
touches, including the period a deal left, kpi_stage_duration those its stays ended in, and kpi_activity only
the weeks (fct_activities keeps the before-images it needs, and credits a user's activities anew when the user
is matched to another employee). Four
hand-made nights (the last two catch the build schema up two nights, as write-audit-publish recycles it),
then a full rebuild as the oracle. Each kind of change reaches a deal or lead that nothing else touches, so
each rule is needed on its own. The published marts of the last night descend from the second night's fresh
build (the recycled schema skips a night), so changes the marts must catch up by themselves arrive on 21 or
22; the intermediate tables catch up every night.

  19: accounts A1 (SMB), A2 (Enterprise), A3 (SMB); users U1 (u1@acme), U2 (u2@acme); employees E1
      (u1@acme), E2 (u2@acme), E3 (e3@acme). EUR at 1.10 from 11-01, 1.20 from 11-19; USD at 1 from 01-01.
      Deals: O1 open EUR 1000 on A1/U1; O2 won EUR 2000 on A3/U2, closed 11-01; O3 open USD 500 on
      A2/U2; O4 open USD 700 on A2/U2 from lead L2; O5 won USD 300 on A1/U2; O6 won USD 400 on A3/U1.
      O7 won USD 800 on A2/U2, closed 06-30; O8 won USD 900 on A2/U2, closed 05-10 (both in Q2); O9
      won USD 100 on A3/U2, closed 02-10, only re-delivered unchanged (its periods are kept, not
      recomputed);
      O10 open EUR 500 on A3/U2, never delivered again: valued at each night's rate. O11 won USD 600 on
      A4 (SMB, APAC)/U2, created 02-01, closed 03-03 (30 days; Q1 with O9).
      Leads: L1 (U2, became O2), L2 (U2, became O4), L3 (U2), L5 (U1), L6 (U2, became O8).
      Activities (calls of 15 minutes, by U1 unless said): X1 on L1 10-21, X2 on L3 11-06, X3 on L3 11-10;
      X4 dated 11-21, logged ahead (kpi_activity counts it from the 21st on); X5 11-03; X6 by U2 09-01.
  20: A1 re-delivered as Mid-Market (O5, closed before, keeps SMB: stamped at close; the forecast's won
      deals follow the account); the EUR rate of 11-01 revised to 1.15 (O2,
      won 11-01, is worth 2000 x 1.15 = 2300.00); O4 won (L2 is won).
  21: E1's work email changes and E3 takes u1@acme: U1 is now E3 (O6 and L5 follow); O3 deleted; L1
      deleted; L4 new; O7's close corrected to 07-02 (it leaves June and Q2 for July and Q3); X2
      re-pointed at L2 (L3's first activity becomes X3 on 11-10); O9 delivered again, unchanged but for
      its updated_at (rewritten, yet it touches no period). U1's activities X1, X3, X4, X5, never
      delivered again, are credited to E3 from now on, as a full rebuild credits them.
  22: O1 lost, at 11-22's rate (1000 x 1.25 = 1250.00); O8 deleted: Q2 and its months have no closed
      deal left, so the win-rate table has no row for them, and L6 is no longer won; O10, still open,
      is worth 500 x 1.25 = 625.00 at tonight's rate; X5 moved to 11-12 (it leaves the week of 11-02 for
      the week of 11-09); A4 re-delivered as Enterprise in NA: O11, won on 03-03 while A4 was SMB in APAC,
      keeps them (stamped at close), so no KPI row of March or Q1 is recomputed.
Contract chains (int_contracts_chained recomputes only the chains holding a contract delivered since):
  19: C1 (2024) renewed by C2 (2025); D1 (2024) renewed by D2 (2025); K2 (2025) whose parent K1 is not
      delivered yet, so K2 is a root; E1 alone.
  20: C3 (2026) renews C2: C2's renewal is C3, C3 is at depth 2.
  21: K1 (2024) arrives: K2 joins its chain (root K1, depth 1); C4 amends C2 (ends with it, 2025-12-31).
  22: C3 re-delivered as D2's renewal: it leaves C1's chain (C2 has no renewal left, C4 stays an
      amendment) for D1's (depth 2; D2's renewal is C3). E1 is never touched again: kept, not recomputed.
kpi_lead_conversion (kept by deltas) and kpi_lead_generation (by period) follow fct_leads' before-images;
kpi_stage_conversion (kept by deltas) follows fct_opportunities'.
int_bookings_credited (kept by deal) follows the enriched deals' rewrites and deletions.
int_won_deals_dated and int_first_closes (kept by deal) follow O2's revised rate, O5's account, O4's win
and O1's loss. fct_contracts rewrites those chains, and the contracts whose row changes without a delivery: F1 (U2's,
on A3, 2026-01-01 to 11-21) is active through the 21st and no longer on the 22nd; E1's termination,
delivered on the 19th and dated the 22nd, counts from the 22nd; U1's contracts follow U1 to E3 on the 21st.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from salesops.contracts import entity
from salesops.ingest.loader import load_file
from salesops.orchestration import nightly
from salesops.publish import swap

from ..conftest import header

pytestmark = pytest.mark.slow
NIGHTS = [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]
KPIS = ["kpi_win_rate", "kpi_deal_size", "kpi_sales_cycle", "kpi_close_rate", "kpi_activity", "kpi_stage_duration",
        "kpi_lead_conversion", "kpi_lead_generation", "kpi_stage_conversion"]
MODELS = ["+fct_opportunities", "+fct_leads", *(f"+{kpi}" for kpi in KPIS), "+fct_contracts", "+int_won_deals_dated",
          "+int_first_closes", "+int_bookings_credited"]
# intermediate tables kept by key, each compared with a full rebuild
KEPT_BY_KEY = (("int_opportunities_enriched", "opportunity_id"), ("int_leads_converted", "lead_id"),
               ("int_contracts_chained", "contract_id"), ("int_won_deals_dated", "opportunity_id"),
               ("int_first_closes", "opportunity_id"), ("int_bookings_credited", "opportunity_id"))
BOOKKEEPING = {"loaded_through", "batch_date"}  # when a row was written, not what it says

HEADERS = {(source, name): header(source, name).rstrip("\n") for source, name in (
    ("crm", "accounts"),
    ("crm", "users"),
    ("hr", "employees"),
    ("crm", "fx_rates"),
    ("crm", "opportunities"),
    ("crm", "opportunity_history"),
    ("crm", "leads"),
    ("crm", "activities"),
    ("contracts", "contracts"),
    ("contracts", "contract_events"),
)}


def _account(key, segment, region, updated):
    return f"{key},{key} Ltd,software,{segment},DE,{region},1000000,50,U1,2026-01-01T00:00:00Z,{updated},false"


def _employee(key, email, updated):
    return (f"{key},Rep {key},{email},{key.lower()}@home.example,Account Executive,AE,Sales,,2025-01-01,,Berlin,"
            f"90000,EUR,{updated}")


def _deal(key, account, owner, stage, amount, currency, created, closed, lead, updated, deleted="false"):
    closed_at = f"{closed}T12:00:00Z" if closed else ""
    close_date = closed or "2026-12-15"
    probability = {"closed_won": 100, "closed_lost": 0}.get(stage, 10)
    return (f"{key},{account},{owner},Deal {key},new_business,{stage},{amount},{currency},{probability},pipeline,"
            f"{created}T09:00:00Z,{close_date},{closed_at},{lead},,{updated},{deleted}")


def _history(key, deal, stage, amount, currency, changed):
    return f"{key},{deal},{stage},{amount},{currency},10,2026-12-15,pipeline,{changed}"


def _lead(key, owner, created, opportunity, account, updated, deleted="false"):
    status, converted_at = ("converted", f"{created}T15:00:00Z") if opportunity else ("working", "")
    return (f"{key},{key} Co,inbound,{status},{owner},DE,{created}T08:00:00Z,{converted_at},{opportunity},{account},"
            f"{updated},{deleted}")


def _contract(key, parent, year, updated, end=None, account="A1", owner="U1"):
    end = end or f"{year}-12-31"
    return (f"{key},CN-{key},{account},,{parent},signed,{year}-01-01,{end},12,1200,1200,USD,false,30,"
            f"{year - 1}-12-20T09:00:00Z,{year - 1}-12-21T09:00:00Z,{owner},{updated}")


def _activity(key, lead, occurred, updated, user="U1"):
    return f"{key},{user},call,,,{lead},{occurred}T10:00:00Z,15,{updated}"


T19, T20, T21, T22 = (f"2026-11-{day}T06:00:00Z" for day in (19, 20, 21, 22))
FILES = {
    NIGHTS[0]: {
        ("crm", "accounts"): [_account("A1", "SMB", "EMEA", T19), _account("A2", "Enterprise", "NA", T19),
                              _account("A3", "SMB", "EMEA", T19), _account("A4", "SMB", "APAC", T19)],
        ("crm", "users"): [f"U1,u1@acme.example,Una,true,{T19}", f"U2,u2@acme.example,Udo,true,{T19}"],
        ("hr", "employees"): [_employee("E1", "u1@acme.example", T19), _employee("E2", "u2@acme.example", T19),
                              _employee("E3", "e3@acme.example", T19)],
        ("crm", "fx_rates"): ["2026-11-01,EUR,1.10", "2026-11-19,EUR,1.20", "2026-01-01,USD,1", "2026-11-01,USD,1",
                              "2026-11-19,USD,1"],
        ("crm", "opportunities"): [
            _deal("O1", "A1", "U1", "prospecting", 1000, "EUR", "2026-11-01", None, "", T19),
            _deal("O2", "A3", "U2", "closed_won", 2000, "EUR", "2026-10-01", "2026-11-01", "L1", T19),
            _deal("O3", "A2", "U2", "prospecting", 500, "USD", "2026-11-02", None, "", T19),
            _deal("O4", "A2", "U2", "qualification", 700, "USD", "2026-11-03", None, "L2", T19),
            _deal("O5", "A1", "U2", "closed_won", 300, "USD", "2026-09-01", "2026-10-15", "", T19),
            _deal("O6", "A3", "U1", "closed_won", 400, "USD", "2026-09-02", "2026-10-20", "", T19),
            _deal("O7", "A2", "U2", "closed_won", 800, "USD", "2026-04-01", "2026-06-30", "", T19),
            _deal("O8", "A2", "U2", "closed_won", 900, "USD", "2026-04-02", "2026-05-10", "", T19),
            _deal("O9", "A3", "U2", "closed_won", 100, "USD", "2026-01-05", "2026-02-10", "", T19),
            _deal("O10", "A3", "U2", "prospecting", 500, "EUR", "2026-11-10", None, "", T19),
            _deal("O11", "A4", "U2", "closed_won", 600, "USD", "2026-02-01", "2026-03-03", "", T19),
        ],
        ("crm", "opportunity_history"): [
            _history("H1", "O1", "prospecting", 1000, "EUR", "2026-11-01T09:00:00Z"),
            _history("H2", "O2", "proposal", 2000, "EUR", "2026-10-01T09:00:00Z"),
            _history("H3", "O2", "closed_won", 2000, "EUR", "2026-11-01T12:00:00Z"),
            _history("H4", "O3", "prospecting", 500, "USD", "2026-11-02T09:00:00Z"),
            _history("H5", "O4", "qualification", 700, "USD", "2026-11-03T09:00:00Z"),
            _history("H8", "O5", "discovery", 300, "USD", "2026-09-01T09:00:00Z"),
            _history("H9", "O5", "closed_won", 300, "USD", "2026-10-15T12:00:00Z"),
            _history("H10", "O6", "prospecting", 400, "USD", "2026-09-02T09:00:00Z"),
            _history("H11", "O6", "closed_won", 400, "USD", "2026-10-20T12:00:00Z"),
            _history("H12", "O7", "proposal", 800, "USD", "2026-04-01T09:00:00Z"),
            _history("H13", "O7", "closed_won", 800, "USD", "2026-06-30T12:00:00Z"),
            _history("H14", "O8", "proposal", 900, "USD", "2026-04-02T09:00:00Z"),
            _history("H15", "O8", "closed_won", 900, "USD", "2026-05-10T12:00:00Z"),
            _history("H16", "O9", "proposal", 100, "USD", "2026-01-05T09:00:00Z"),
            _history("H17", "O9", "closed_won", 100, "USD", "2026-02-10T12:00:00Z"),
            _history("H18", "O10", "prospecting", 500, "EUR", "2026-11-10T09:00:00Z"),
            _history("H19", "O11", "proposal", 600, "USD", "2026-02-01T09:00:00Z"),
            _history("H20", "O11", "closed_won", 600, "USD", "2026-03-03T12:00:00Z"),
        ],
        ("crm", "leads"): [_lead("L1", "U2", "2026-09-20", "O2", "A3", T19),
                           _lead("L2", "U2", "2026-10-25", "O4", "A2", T19),
                           _lead("L3", "U2", "2026-11-05", "", "", T19),
                           _lead("L5", "U1", "2026-11-07", "", "", T19),
                           _lead("L6", "U2", "2026-04-01", "O8", "A2", T19)],
        ("crm", "activities"): [_activity("X1", "L1", "2026-10-21", T19), _activity("X2", "L3", "2026-11-06", T19),
                                _activity("X3", "L3", "2026-11-10", T19), _activity("X4", "", "2026-11-21", T19),
                                _activity("X5", "", "2026-11-03", T19),
                                _activity("X6", "", "2026-09-01", T19, user="U2")],
        ("contracts", "contracts"): [_contract("C1", "", 2024, T19), _contract("C2", "C1", 2025, T19),
                                     _contract("D1", "", 2024, T19), _contract("D2", "D1", 2025, T19),
                                     _contract("K2", "K1", 2025, T19), _contract("E1", "", 2024, T19),
                                     _contract("F1", "", 2026, T19, end="2026-11-21", account="A3", owner="U2")],
        ("contracts", "contract_events"): ["V1,E1,terminated,2026-11-22T08:00:00Z"],
    },
    NIGHTS[1]: {
        ("crm", "accounts"): [_account("A1", "Mid-Market", "EMEA", T20)],
        ("crm", "users"): [],
        ("hr", "employees"): [],
        ("crm", "fx_rates"): ["2026-11-01,EUR,1.15", "2026-11-20,EUR,1.20", "2026-11-20,USD,1"],
        ("crm", "opportunities"): [
            _deal("O4", "A2", "U2", "closed_won", 700, "USD", "2026-11-03", "2026-11-20", "L2", T20)],
        ("crm", "opportunity_history"): [_history("H6", "O4", "closed_won", 700, "USD", "2026-11-20T12:00:00Z")],
        ("contracts", "contracts"): [_contract("C3", "C2", 2026, T20)],
    },
    NIGHTS[2]: {
        ("crm", "users"): [],
        ("hr", "employees"): [_employee("E1", "e1-new@acme.example", T21), _employee("E3", "u1@acme.example", T21)],
        ("crm", "fx_rates"): ["2026-11-21,EUR,1.20", "2026-11-21,USD,1"],
        ("crm", "opportunities"): [
            _deal("O3", "A2", "U2", "prospecting", 500, "USD", "2026-11-02", None, "", T21, deleted="true"),
            _deal("O7", "A2", "U2", "closed_won", 800, "USD", "2026-04-01", "2026-07-02", "", T21),
            _deal("O9", "A3", "U2", "closed_won", 100, "USD", "2026-01-05", "2026-02-10", "", T21)],
        ("crm", "leads"): [_lead("L1", "U2", "2026-09-20", "O2", "A3", T21, deleted="true"),
                           _lead("L4", "U2", "2026-11-21", "", "", T21)],
        ("crm", "activities"): [_activity("X2", "L2", "2026-11-06", T21)],
        ("contracts", "contracts"): [_contract("K1", "", 2024, T21), _contract("C4", "C2", 2025, T21)],
    },
    NIGHTS[3]: {
        ("crm", "accounts"): [_account("A4", "Enterprise", "NA", T22)],
        ("crm", "users"): [],
        ("hr", "employees"): [],
        ("crm", "fx_rates"): ["2026-11-22,EUR,1.25", "2026-11-22,USD,1"],
        ("crm", "opportunities"): [
            _deal("O1", "A1", "U1", "closed_lost", 1000, "EUR", "2026-11-01", "2026-11-22", "", T22),
            _deal("O8", "A2", "U2", "closed_won", 900, "USD", "2026-04-02", "2026-05-10", "", T22, deleted="true")],
        ("crm", "opportunity_history"): [_history("H7", "O1", "closed_lost", 1000, "EUR", "2026-11-22T12:00:00Z")],
        ("crm", "activities"): [_activity("X5", "", "2026-11-12", T22)],
        ("contracts", "contracts"): [_contract("C3", "D2", 2026, T22)],
    },
}


def _rows(db, relation: str, key: str) -> dict[str, dict]:
    with db.cursor() as cur:
        cur.execute(f"select * from {relation}")
        names = [c.name for c in cur.description]
        rows = {row[names.index(key)]: {n: v for n, v in zip(names, row, strict=True) if n not in BOOKKEEPING}
                for row in cur.fetchall()}
    db.commit()
    return rows


def _table(db, relation: str) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute(f"select * from {relation}")
        keep = [i for i, c in enumerate(cur.description) if c.name not in BOOKKEEPING]
        rows = sorted((tuple(row[i] for i in keep) for row in cur.fetchall()), key=repr)
    db.commit()
    return rows


def test_facts_kept_by_key_follow_changes_from_every_table(db, warehouse_server, tmp_path: Path):
    builds = []
    for night in NIGHTS:
        for (source, name), lines in FILES[night].items():
            path = tmp_path / source / night.isoformat() / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join([HEADERS[(source, name)], *lines]) + "\n")
            result = load_file(db, entity(source, name), path, night)
            assert result.rows_rejected == 0, (path, result.message)
        outcome = nightly.build(night, settings=warehouse_server, select=MODELS)
        assert outcome["success"]
        builds.append(outcome["build_schema"])
        swap.publish(warehouse_server, night, f"test-{night}")
        if night == NIGHTS[1]:  # X4, dated 11-21, is not counted before its day
            assert _table(db, "marts.kpi_activity") == [("E1", date(2026, 10, 19), 1, 0, 0, 0, 1, 15),
                                                        ("E1", date(2026, 11, 2), 2, 0, 0, 0, 2, 30),
                                                        ("E1", date(2026, 11, 9), 1, 0, 0, 0, 1, 15),
                                                        ("E2", date(2026, 8, 31), 1, 0, 0, 0, 1, 15)]
    assert builds == ["empty", "empty", "recycled", "recycled"]  # the last two catch up incrementally

    opportunities = _rows(db, "marts.fct_opportunities", "opportunity_id")
    leads = _rows(db, "marts.fct_leads", "lead_id")
    # what each change above must have done
    # O3 deleted on 21, O8 on 22
    assert sorted(opportunities) == ["O1", "O10", "O11", "O2", "O4", "O5", "O6", "O7", "O9"]
    assert opportunities["O10"]["amount_usd"] == 625  # 500 x 1.25, tonight's rate
    assert opportunities["O1"]["stage"] == "closed_lost" and opportunities["O1"]["amount_usd"] == 1250
    assert opportunities["O2"]["amount_usd"] == 2300  # 2000 x 1.15, the revised rate of its close date
    assert opportunities["O4"]["is_won"] is True
    # closed before their accounts moved: segment and region as at close
    assert opportunities["O5"]["segment"] == "SMB"
    assert (opportunities["O11"]["segment"], opportunities["O11"]["region"]) == ("SMB", "APAC")
    assert opportunities["O6"]["employee_id"] == "E3"
    assert sorted(leads) == ["L2", "L3", "L4", "L5", "L6"]  # L1 deleted on 21
    assert (leads["L2"]["is_won"], leads["L2"]["first_activity_id"]) == (True, "X2")
    assert str(leads["L2"]["first_activity_at"]) == "2026-11-06 10:00:00"
    assert (leads["L3"]["first_activity_id"], leads["L3"]["days_to_first_activity"]) == ("X3", 5)  # 11-05 to 11-10
    assert leads["L5"]["employee_id"] == "E3"
    assert leads["L6"]["is_won"] is False  # its deal O8 was deleted
    with db.cursor() as cur:
        cur.execute("select period_type, period_start::text, won_deals from marts.kpi_win_rate"
                    " where dimension = 'all' and period_start between '2026-04-01' and '2026-09-30' order by 1, 2")
        assert cur.fetchall() == [("month", "2026-07-01", 1), ("quarter", "2026-07-01", 1)]  # O7 moved; O8 gone
        # the first quarter was untouched since the second night's fresh build (O9 came again unchanged, O11's
        # account moved after its close): kept, not recomputed
        cur.execute("select distinct loaded_through::text from marts.kpi_win_rate"
                    " where period_start < '2026-04-01'")
        assert cur.fetchall() == [("2026-11-20",)]
        # (period, dimension, value, deals, median days, recomputed on) of Q1: O9 (Feb, 36 days: 01-05 09:00 to
        # 02-10 12:00) and O11 (March, 30 days: 02-01 to 03-03). O11's account moved to Enterprise in NA on the
        # 22nd, after its close: its bookings stay SMB in APAC, every row kept since the 20th
        cur.execute("select period_type, period_start::text, dimension, dimension_value, won_deals,"
                    " median_cycle_days::float, loaded_through::text from marts.kpi_sales_cycle"
                    " where period_start < '2026-04-01' order by 1, 2, 3, 4")
        kept, redone = "2026-11-20", "2026-11-22"
        assert cur.fetchall() == [
            ("month", "2026-02-01", "all", "all", 1, 36, kept), ("month", "2026-02-01", "region", "EMEA", 1, 36, kept),
            ("month", "2026-02-01", "rep", "E2", 1, 36, kept), ("month", "2026-02-01", "segment", "SMB", 1, 36, kept),
            ("month", "2026-02-01", "type", "new_business", 1, 36, kept),
            ("month", "2026-03-01", "all", "all", 1, 30, kept), ("month", "2026-03-01", "region", "APAC", 1, 30, kept),
            ("month", "2026-03-01", "rep", "E2", 1, 30, kept),
            ("month", "2026-03-01", "segment", "SMB", 1, 30, kept),
            ("month", "2026-03-01", "type", "new_business", 1, 30, kept),
            ("quarter", "2026-01-01", "all", "all", 2, 33, kept),
            ("quarter", "2026-01-01", "region", "APAC", 1, 30, kept),
            ("quarter", "2026-01-01", "region", "EMEA", 1, 36, kept),
            ("quarter", "2026-01-01", "rep", "E2", 2, 33, kept),
            ("quarter", "2026-01-01", "segment", "SMB", 2, 33, kept),
            ("quarter", "2026-01-01", "type", "new_business", 2, 33, kept)]
        # deal size: (dimension, recomputed on, rows) of Q1, Feb, March and Q1 each: all kept
        cur.execute("select dimension, loaded_through::text, count(*) from marts.kpi_deal_size"
                    " where period_start < '2026-04-01' group by 1, 2 order by 1, 2")
        assert cur.fetchall() == [("all", kept, 3), ("segment", kept, 3), ("type", kept, 3)]
        # stage conversion by creation month (cohort, deals, recomputed on): January's O9 came again unchanged
        # and February's O11 kept its segment (stamped): kept; April lost O8 (deleted on the 22nd): recomputed
        cur.execute("select cohort_month::text, min(cohort_deals), min(loaded_through)::text,"
                    " max(loaded_through)::text from marts.kpi_stage_conversion where cohort_month < '2026-09-01'"
                    " group by 1 order by 1")
        assert cur.fetchall() == [("2026-01-01", 1, kept, kept), ("2026-02-01", 1, kept, kept),
                                  ("2026-04-01", 1, redone, redone)]
        # (cohort, source, leads, converted, won, recomputed on), every lead 'inbound': April's L6 no longer won
        # (its deal O8 deleted on the 22nd); September's L1 deleted on the 21st (the month is gone); October's L2
        # only got another first activity (X2): counted the same, kept; November's L3, L5 and L4 (new on the 21st)
        cur.execute("select cohort_month::text, source, leads, converted_leads, won_leads, loaded_through::text"
                    " from marts.kpi_lead_conversion order by 1, 2")
        assert cur.fetchall() == [("2026-04-01", "all", 1, 1, 0, redone), ("2026-04-01", "inbound", 1, 1, 0, redone),
                                  ("2026-10-01", "all", 1, 1, 1, kept), ("2026-10-01", "inbound", 1, 1, 1, kept),
                                  ("2026-11-01", "all", 3, 0, 0, redone), ("2026-11-01", "inbound", 3, 0, 0, redone)]
        # (rep, week, calls, activities, minutes, recomputed on): U1's activities follow it to E3; X5 moved from
        # the week of 11-02 (X2 left, 1) to that of 11-09 (X3 and X5, 2); X4 counted in the week of 11-16 from
        # the 21st; E2's week of 08-31 was not touched since the second night's fresh build: kept
        cur.execute("select employee_id, week_start::text, calls, activities, minutes, loaded_through::text"
                    " from marts.kpi_activity order by 2, 1")
        assert cur.fetchall() == [("E2", "2026-08-31", 1, 1, 15, "2026-11-20"),
                                  ("E3", "2026-10-19", 1, 1, 15, "2026-11-22"),
                                  ("E3", "2026-11-02", 1, 1, 15, "2026-11-22"),
                                  ("E3", "2026-11-09", 2, 2, 30, "2026-11-22"),
                                  ("E3", "2026-11-16", 1, 1, 15, "2026-11-22")]
        # (contract, root, depth, amendment, renewal, renewed by, computed on): E1's chain kept since the 19th
        cur.execute("select contract_id, root_contract_id, renewal_depth, is_amendment, is_renewal,"
                    " renewal_contract_id, loaded_through::text from intermediate.int_contracts_chained order by 1")
        assert cur.fetchall() == [("C1", "C1", 0, False, False, "C2", "2026-11-22"),
                                  ("C2", "C1", 1, False, True, None, "2026-11-22"),
                                  ("C3", "D1", 2, False, True, None, "2026-11-22"),
                                  ("C4", "C1", 1, True, False, None, "2026-11-22"),
                                  ("D1", "D1", 0, False, False, "D2", "2026-11-22"),
                                  ("D2", "D1", 1, False, True, "C3", "2026-11-22"),
                                  ("E1", "E1", 0, False, False, None, "2026-11-19"),
                                  ("F1", "F1", 0, False, False, None, "2026-11-19"),
                                  ("K1", "K1", 0, False, False, "K2", "2026-11-21"),
                                  ("K2", "K1", 1, False, True, None, "2026-11-21")]
    db.commit()
    contracts = _rows(db, "marts.fct_contracts", "contract_id")
    assert contracts["F1"]["is_active"] is False  # ended on the 21st
    assert str(contracts["E1"]["terminated_at"]) == "2026-11-22 08:00:00"
    assert {contracts[key]["owner_employee_id"] for key in ("C1", "E1", "K1")} == {"E3"}
    assert (contracts["F1"]["owner_employee_id"], contracts["C1"]["segment"]) == ("E2", "Mid-Market")
    kpis = {kpi: _table(db, f"marts.{kpi}") for kpi in KPIS}
    intermediate = {table: _rows(db, f"intermediate.{table}", key) for table, key in KEPT_BY_KEY}
    won, closes = intermediate["int_won_deals_dated"], intermediate["int_first_closes"]
    # O2 won 11-01, its rate revised on the 20th; O5's account A1 became Mid-Market (neither delivered again: the
    # forecast's won deals follow today's account, the bookings above keep the segment at close);
    # O4 won on the 20th; O7 closed again in July but its history still wins it on 06-30; O8 deleted, won still
    assert sorted(won) == ["O11", "O2", "O4", "O5", "O6", "O7", "O8", "O9"]
    assert (won["O2"]["amount_usd"], float(won["O2"]["fx_rate_to_usd"])) == (2300, 1.15)
    assert won["O5"]["segment"] == "Mid-Market" and str(won["O4"]["won_date"]) == "2026-11-20"
    assert str(won["O7"]["won_date"]) == "2026-06-30"
    # O1 first closed lost on the 22nd; O5's close follows its account too
    assert (closes["O1"]["is_won"], str(closes["O1"]["closed_date"])) == (False, "2026-11-22")
    assert closes["O5"]["segment"] == "Mid-Market" and sorted(closes) == ["O1", *sorted(won)]
    # the bookings credited follow the enriched deals: O8 deleted on the 22nd leaves, O1 lost is not one,
    # O6 is credited to E3 since the 21st, O2 at its revised rate, O7 on its corrected close day
    bookings = intermediate["int_bookings_credited"]
    assert sorted(bookings) == ["O11", "O2", "O4", "O5", "O6", "O7", "O9"]
    assert (bookings["O6"]["employee_id"], bookings["O2"]["amount_usd"]) == ("E3", 2300)
    assert str(bookings["O7"]["closed_date"]) == "2026-07-02"

    # the oracle: everything rebuilt from all batches at once
    nightly.build(NIGHTS[-1], full_refresh=True, settings=warehouse_server, select=MODELS)
    assert _rows(db, "marts_build.fct_opportunities", "opportunity_id") == opportunities
    assert _rows(db, "marts_build.fct_leads", "lead_id") == leads
    assert _rows(db, "marts_build.fct_contracts", "contract_id") == contracts
    for table, key in KEPT_BY_KEY:
        assert _rows(db, f"intermediate.{table}", key) == intermediate[table], table
    for kpi, rows in kpis.items():
        assert _table(db, f"marts_build.{kpi}") == rows, kpi
