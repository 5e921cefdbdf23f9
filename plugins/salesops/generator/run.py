"""Generate the landing folder: simulate the timeline, then write every night's extracts."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from salesops.contracts import ENTITIES
from salesops.generator import defects
from salesops.generator.accounts import build_accounts
from salesops.generator.contract_lifecycle import build_contracts
from salesops.generator.fx import fx_rates_table
from salesops.generator.org import (
    build_org,
    compensation_table,
    employees_table,
    quotas_table,
    territory_assignments_table,
    training_table,
    users_table,
)
from salesops.generator.pipeline import (
    activities_table,
    build_leads,
    build_opportunities,
    leads_table,
    won_usd_by_quarter,
)
from salesops.generator.tables import Table, format_column, take
from salesops.generator.timeline import DAY, Window, day_number

CHUNK_ROWS = 50_000
# Row counts at --scale 1 (SPEC-sized: a mid-size B2B sales organisation).
SCALE_ONE = {"accounts": 200_000, "leads": 2_000_000, "opportunities": 1_000_000, "activities": 5_000_000,
             "employees": 3_000}


@dataclass
class GenerationResult:
    out: Path
    nights: list[date]
    rows: dict[str, int] = field(default_factory=dict)  # "source/entity" -> rows written over all nights
    seconds: float = 0.0
    manifest: Path | None = None


def sizes(scale: float) -> dict[str, int]:
    out = {name: max(1, int(round(count * scale))) for name, count in SCALE_ONE.items()}
    out["employees"] = max(40, out["employees"])  # enough people for every role of the org
    out["accounts"] = max(50, out["accounts"])
    return out


def simulate(scale: float, window: Window, seed: int, defect_rate: float, log=print) -> list[Table]:  # noqa: ANN001
    """Build every entity's table of row versions over the whole window."""
    streams = np.random.SeedSequence(seed).spawn(12)
    rng = [np.random.default_rng(s) for s in streams]
    n = sizes(scale)
    started = time.monotonic()

    def step(name: str) -> None:
        log(f"  simulated {name} ({time.monotonic() - started:.1f}s)")

    org = build_org(rng[0], window, n["employees"])
    employees, work_email = employees_table(rng[1], org, window)
    unmatched = max(1, int(rng[1].binomial(org.n, defect_rate))) if defect_rate > 0 else 0
    users = users_table(rng[1], org, work_email, window, unmatched)
    territories = territory_assignments_table(rng[2], org, window)
    compensation = compensation_table(rng[2], org, window)
    training = training_table(rng[2], org, window)
    step("the organisation")
    fx = fx_rates_table(rng[3], window)
    accounts, accounts_table = build_accounts(rng[4], org, window, n["accounts"], defect_rate)
    step("accounts")
    leads = build_leads(rng[5], org, accounts, window, n["leads"])
    opps, opportunities, history = build_opportunities(rng[6], org, accounts, leads, window, n["opportunities"])
    leads_t = leads_table(leads)
    leads.release_versions()  # the table holds them now; activities only need per-lead facts
    quotas = quotas_table(rng[2], org, window, won_usd_by_quarter(opps))
    step("leads and opportunities")
    activities = activities_table(rng[7], opps, leads, window, n["activities"])
    step("activities")
    contracts, events = build_contracts(rng[8], opps, window)
    step("contracts")
    tables = [accounts_table, users, leads_t, opportunities, history, activities, fx, contracts, events,
              employees, territories, quotas, compensation, training]
    order = {e.key: i for i, e in enumerate(ENTITIES)}
    return sorted(tables, key=lambda t: order[t.entity.key])


def write_extract(table: Table, rows: np.ndarray, path: Path, rng: np.random.Generator, defect_rate: float,
                  night_day: int, progress) -> tuple[int, dict[str, int]]:  # noqa: ANN001
    """Write one file in chunks, planting defects; returns (data lines written, defect counts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = table.entity.column_names
    types = {c.name: c.type for c in table.entity.columns}
    counts: dict[str, int] = {}
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(names) + "\n")
        for start in range(0, rows.size, CHUNK_ROWS):
            chunk = rows[start:start + CHUNK_ROWS]
            text = {name: format_column(take(table.columns[name], chunk), types[name]) for name in names}
            protected = np.zeros(chunk.size, dtype=bool)
            for kind, mask in table.planted.items():
                hit = mask[chunk]
                protected |= hit
                if hit.any():
                    counts[kind] = counts.get(kind, 0) + int(hit.sum())
            text, planted = defects.plant(rng, table.entity.key, text, protected, defect_rate, night_day)
            for kind, count in planted.items():
                counts[kind] = counts.get(kind, 0) + count
            frame = pd.DataFrame({name: text[name] for name in names})
            frame.to_csv(handle, header=False, index=False, lineterminator="\n")
            written += len(frame)
            progress(chunk.size)
    return written, counts


def generate(out: Path, scale: float, start: date, days: int, seed: int = 42, defect_rate: float = 0.002,
             show_progress: bool = True, skip: frozenset[date] = frozenset()) -> GenerationResult:
    """Write out/<source>/<night>/<entity>.csv for `days` nights from `start`, and out/_manifest.json.

    `skip`: nights with no extract (the sources did not deliver); the next night's extract holds every
    change since the last one delivered, as a source catching up does."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    if start in skip:
        raise ValueError("the first night (the full extract) cannot be skipped")
    if not 0 <= defect_rate < 0.5:
        raise ValueError("--defect-rate must be between 0 and 0.5")
    began = time.monotonic()
    log = (lambda message: print(message, file=sys.stderr, flush=True)) if show_progress else (lambda message: None)
    window = Window(start, days)
    log(f"simulating scale {scale} from {date.fromordinal(date(1970, 1, 1).toordinal() + window.start // DAY)}"
        f" to {window.night_dates()[-1]} (seed {seed}) ...")
    tables = simulate(scale, window, seed, defect_rate, log)
    nights = [night for night in window.night_dates() if night not in skip]
    selections = []  # per table, the rows of each night's extract
    for table in tables:
        since, per_night = None, []
        for night in nights:
            cutoff = window.night_cutoff(night)
            per_night.append(table.rows_for_night(cutoff, since))
            since = cutoff
        selections.append(per_night)
    total = sum(rows.size for per_night in selections for rows in per_night)
    result = GenerationResult(out=out, nights=nights)
    manifest: dict = {
        "generator": {"scale": scale, "start": start.isoformat(), "days": days, "seed": seed,
                      "defect_rate": defect_rate, "skipped": sorted(night.isoformat() for night in skip)},
        "loader_rejects": list(defects.LOADER_REJECTS),
        "kinds": list(defects.ALL_KINDS),
        "nights": {night.isoformat(): {} for night in nights},
    }
    from tqdm import tqdm

    # the terminal itself: the bar redraws with a carriage return, which the CLI's stream shows as an escape
    with tqdm(total=total, unit="rows", unit_scale=True, desc="writing", disable=not show_progress,
              file=sys.__stderr__) as bar:
        for t in range(len(tables)):
            table, per_night = tables[t], selections[t]
            entity = table.entity
            for n_index, (night, rows) in enumerate(zip(nights, per_night, strict=True)):
                path = out / entity.source / night.isoformat() / f"{entity.name}.csv"
                rng = np.random.default_rng([seed, n_index, t])
                lines, counts = write_extract(table, rows, path, rng, defect_rate, day_number(night),
                                              bar.update)
                manifest["nights"][night.isoformat()][f"{entity.source}/{entity.name}.csv"] = {
                    "rows": lines, "defects": dict(sorted(counts.items())),
                }
                key = f"{entity.source}/{entity.name}"
                result.rows[key] = result.rows.get(key, 0) + lines
            tables[t] = selections[t] = None  # written: let the memory go
    result.manifest = out / "_manifest.json"
    result.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    result.seconds = time.monotonic() - began
    return result
