"""The synthetic data generator: contracts honoured, deterministic, defects exactly as the manifest says,
and behaviour realistic enough for the KPIs to mean something."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from salesops.contracts import BY_KEY, STAGES
from salesops.generator import generate
from salesops.ingest.row_checks import value_check

START = date(2026, 11, 19)
OPEN = set(STAGES[:5])


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "landing"
    # A higher defect rate than the default so every kind shows up even at this tiny scale.
    generate(out, scale=0.002, start=START, days=3, seed=11, defect_rate=0.01, show_progress=False)
    return out


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def manifest(landing: Path) -> dict:
    return json.loads((landing / "_manifest.json").read_text())


def files(landing: Path):
    for path in sorted(landing.glob("*/*/*.csv")):
        yield path, BY_KEY[f"{path.parts[-3]}__{path.stem}"], path.parts[-2]


def test_every_file_has_its_contract_header_and_every_night(landing):
    nights = {p.name for p in (landing / "crm").iterdir()}
    assert nights == {"2026-11-19", "2026-11-20", "2026-11-21"}
    seen = set()
    for path, ent, _ in files(landing):
        header, _ = read(path)
        assert tuple(header) == ent.column_names, path
        seen.add(ent.key)
    assert seen == set(BY_KEY)


def _loader_would_reject(ent, header, row) -> bool:
    if len(row) != len(header):
        return True
    for name, value in zip(header, row, strict=True):
        col = ent.column(name)
        if not col.nullable and not value.strip():
            return True
        check = value_check(col)
        if value and check is not None and check(value) is not None:
            return True
    return False


def test_values_match_the_contracts_except_exactly_the_planted_rejects(landing):
    planted = manifest(landing)
    rejects = set(planted["loader_rejects"])
    for path, ent, night in files(landing):
        header, rows = read(path)
        bad = sum(_loader_would_reject(ent, header, row) for row in rows)
        expected = planted["nights"][night][f"{ent.source}/{ent.name}.csv"]
        assert expected["rows"] == len(rows), path
        assert bad == sum(n for kind, n in expected["defects"].items() if kind in rejects), path
        for name in header:
            allowed = ent.column(name).allowed
            if allowed and name != "stage":
                values = {row[header.index(name)] for row in rows if not _loader_would_reject(ent, header, row)}
                assert values <= set(allowed) | {""}, (path, name, values - set(allowed))


def test_the_same_seed_gives_identical_bytes(tmp_path):
    def digest(out: Path) -> dict[str, str]:
        generate(out, scale=0.001, start=START, days=2, seed=5, show_progress=False)
        return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*"))
                if p.is_file()}

    first, second = digest(tmp_path / "a"), digest(tmp_path / "b")
    assert first == second
    generate(tmp_path / "c", scale=0.001, start=START, days=2, seed=6, show_progress=False)
    other = hashlib.sha256((tmp_path / "c/crm/2026-11-19/opportunities.csv").read_bytes()).hexdigest()
    assert other != first["crm/2026-11-19/opportunities.csv"]


def test_a_skipped_night_is_carried_by_the_next_extract(tmp_path):
    """With the third of four nights skipped (the sources did not deliver), the fourth night's extract
    holds the latest version of every record changed on the third or the fourth day: the rows of the
    undisturbed third and fourth extracts, the older version of a record changed on both days dropped."""
    every, skipping = tmp_path / "every", tmp_path / "skipping"
    generate(every, scale=0.001, start=START, days=4, seed=9, defect_rate=0, show_progress=False)
    generate(skipping, scale=0.001, start=START, days=4, seed=9, defect_rate=0, show_progress=False,
             skip=frozenset({date(2026, 11, 21)}))
    assert sorted(p.name for p in (skipping / "crm").iterdir()) == ["2026-11-19", "2026-11-20", "2026-11-22"]
    assert manifest(skipping)["generator"]["skipped"] == ["2026-11-21"]
    grown = 0
    for name in ("opportunities.csv", "opportunity_history.csv", "accounts.csv", "leads.csv", "activities.csv"):
        header, third = read(every / "crm" / "2026-11-21" / name)
        fourth = read(every / "crm" / "2026-11-22" / name)[1]
        carried = read(skipping / "crm" / "2026-11-22" / name)[1]
        key = header.index(BY_KEY[f"crm__{name[:-4]}"].column_names[0])  # each one's id comes first
        latest = {row[key]: row for row in third + fourth}  # the fourth day's version wins
        assert sorted(map(tuple, carried)) == sorted(map(tuple, latest.values())), name
        grown += len(carried) - len(fourth)
    assert grown > 0
    assert read(skipping / "crm" / "2026-11-20" / "opportunities.csv") == read(every / "crm" / "2026-11-20" /
                                                                              "opportunities.csv")


def test_zero_defect_rate_plants_nothing(tmp_path):
    out = tmp_path / "clean"
    generate(out, scale=0.001, start=START, days=2, seed=3, defect_rate=0, show_progress=False)
    for night in manifest(out)["nights"].values():
        assert all(not entry["defects"] for entry in night.values())


def test_planted_defects_are_in_the_files_as_counted(landing):
    planted = manifest(landing)["nights"]["2026-11-19"]
    kinds = Counter()
    for entry in planted.values():
        kinds.update(entry["defects"])
    assert set(kinds) == set(manifest(landing)["kinds"]), "every kind appears on the first night"

    header, opps = read(landing / "crm/2026-11-19/opportunities.csv")
    col = {name: i for i, name in enumerate(header)}
    counts = planted["crm/opportunities.csv"]["defects"]
    assert sum(1 for r in opps if r[col["stage"]] not in STAGES and r[col["stage"]]) == counts["unknown_stage_names"]
    lines = (landing / "crm/2026-11-19/opportunities.csv").read_text().splitlines()[1:]
    assert sum(a == b for a, b in zip(lines, lines[1:], strict=False)) == counts["duplicate_rows"]
    _, accounts = read(landing / "crm/2026-11-19/accounts.csv")
    account_ids = {r[0] for r in accounts}
    absent = [r[col["account_id"]] for r in opps if r[col["account_id"]] and r[col["account_id"]] not in account_ids]
    planted_orphans = [a for a in absent if a.startswith("MISSING-")]
    assert len(planted_orphans) == counts["orphan_foreign_keys"]
    # Other absent accounts are only those whose own row lost its id (a planted missing_ids defect).
    assert len(set(absent) - set(planted_orphans)) <= planted["crm/accounts.csv"]["defects"].get("missing_ids", 0)
    def valid_date(text: str) -> bool:
        try:
            return bool(date.fromisoformat(text))
        except ValueError:
            return False

    stale = sum(1 for r in opps if r[col["stage"]] in OPEN and r[col["is_deleted"]] != "true"
                and valid_date(r[col["close_date"]]) and r[col["close_date"]] < "2026-11-19")
    assert stale == counts["stale_open_deals"]

    ids_by_company = defaultdict(set)
    for r in accounts:
        if r[0]:
            ids_by_company[(r[1].strip().lower(), r[4])].add(r[0])
    assert sum(len(ids) - 1 for ids in ids_by_company.values()) == planted["crm/accounts.csv"]["defects"][
        "duplicate_accounts"]
    _, users = read(landing / "crm/2026-11-19/users.csv")
    _, employees = read(landing / "hr/2026-11-19/employees.csv")
    work = {e[2].strip().lower() for e in employees}
    assert sum(1 for u in users if u[1].strip().lower() not in work) == planted["crm/users.csv"]["defects"][
        "crm_users_without_hr_match"]


def test_stages_move_in_order_with_only_single_step_slips(landing):
    header, rows = read(landing / "crm/2026-11-19/opportunity_history.csv")
    by_opp = defaultdict(list)
    relabelled = set()  # deals with a planted unknown stage name: their path has a hole
    for r in rows:
        if r[2] in STAGES:
            by_opp[r[1]].append((r[8], STAGES.index(r[2])))
        else:
            relabelled.add(r[1])
    assert relabelled
    slips = 0
    for opp, changes in by_opp.items():
        if opp in relabelled:
            continue
        stages = [s for _, s in sorted(changes)]
        assert stages[0] == 0  # every deal starts in prospecting
        for before, after in zip(stages, stages[1:], strict=False):
            if after >= 5:
                assert before <= 4
            elif after < before:
                assert before - after == 1
                slips += 1
            else:
                assert after - before in (0, 1)
    assert slips > 0


def _opportunities(landing: Path) -> list[dict]:
    header, rows = read(landing / "crm/2026-11-19/opportunities.csv")
    return [dict(zip(header, r, strict=True)) for r in rows if len(r) == len(header)]


def test_won_deals_have_closed_at_and_segments_behave_differently(landing):
    opps = _opportunities(landing)
    _, accounts = read(landing / "crm/2026-11-19/accounts.csv")
    segment = {a[0]: a[3] for a in accounts}
    wins, closed, cycle = Counter(), Counter(), defaultdict(list)
    for o in opps:
        if o["stage"] == "closed_won":
            assert o["closed_at"] and o["closed_at"] >= o["created_at"]
        if o["stage"] in ("closed_won", "closed_lost") and o["account_id"] in segment:
            seg = segment[o["account_id"]]
            closed[seg] += 1
            wins[seg] += o["stage"] == "closed_won"
            if o["stage"] == "closed_won":
                days = (date.fromisoformat(o["closed_at"][:10]) - date.fromisoformat(o["created_at"][:10])).days
                cycle[seg].append(days)
    rate = {seg: wins[seg] / closed[seg] for seg in closed}
    assert rate["SMB"] > rate["Enterprise"] + 0.05
    mean = {seg: sum(v) / len(v) for seg, v in cycle.items()}
    assert mean["SMB"] * 2 < mean["Enterprise"]


def test_leads_convert_at_different_rates_by_source(landing):
    header, rows = read(landing / "crm/2026-11-19/leads.csv")
    col = {name: i for i, name in enumerate(header)}
    created, converted = Counter(), Counter()
    for r in rows:
        if len(r) == len(header):
            created[r[col["source"]]] += 1
            converted[r[col["source"]]] += r[col["status"]] == "converted"
    rate = {s: converted[s] / created[s] for s in created}
    assert rate["referral"] > 2 * rate["outbound"]


def test_org_currencies_and_contract_lineage(landing):
    _, employees = read(landing / "hr/2026-11-19/employees.csv")
    roles = {e[5] for e in employees}
    assert {"sales_ops_leader", "sales_ops_manager", "sales_ops_analyst", "sales_planning_specialist",
            "sales_tech_specialist", "sales_ops_specialist", "sales_manager", "AE", "SDR", "AM", "SE"} <= roles
    assert any(e[9] for e in employees), "some people have left"
    _, fx = read(landing / "crm/2026-11-19/fx_rates.csv")
    assert len({r[1] for r in fx}) >= 4
    header, contracts = read(landing / "contracts/2026-11-19/contracts.csv")
    ids = {c[0] for c in contracts}
    children = [c for c in contracts if c[4]]
    assert children and all(c[4] in ids for c in children)
    statuses = Counter(c[5] for c in contracts)
    assert statuses["renewed"] and statuses["expired"] and statuses["active"]
    _, quotas = read(landing / "hr/2026-11-19/quotas.csv")
    assert quotas and all(q[5] == "bookings" for q in quotas)
