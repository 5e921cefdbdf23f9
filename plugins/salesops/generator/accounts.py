"""CRM accounts: companies by segment and region, owned by a rep of their territory.

When an owner leaves, their accounts move to a colleague a few days later (a second version);
a few accounts are merged away (soft-deleted). Planted duplicates copy an existing company's
name and country under a new id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops.contracts import entity
from salesops.generator.org import BASE_FX, OFFICES, REGION_WEIGHTS, REGIONS, SEGMENT_WEIGHTS, SEGMENTS, Org
from salesops.generator.tables import Codes, Ids, Table
from salesops.generator.timeline import DAY, NULL_TIME, Window, sample_times

WORDS_A = ("Blue", "North", "Bright", "Silver", "Rapid", "Green", "Prime", "Open", "Iron", "Clear", "Swift",
           "Summit", "Atlas", "Nova", "Delta", "Pioneer", "Golden", "Urban", "Alpine", "Coastal")
WORDS_B = ("Logistics", "Analytics", "Foods", "Health", "Robotics", "Energy", "Capital", "Media", "Systems",
           "Retail", "Labs", "Motors", "Pharma", "Networks", "Textiles", "Software", "Insurance", "Farms")
SUFFIXES = ("Inc", "Ltd", "GmbH", "SA", "LLC", "Group", "Holdings", "Co")
INDUSTRIES = ("technology", "healthcare", "finance", "retail", "manufacturing", "energy", "media",
              "logistics", "education", "public sector")
REVENUE_USD = {"SMB": 5e6, "Mid-Market": 8e7, "Enterprise": 2e9}
EMPLOYEES = {"SMB": 60, "Mid-Market": 800, "Enterprise": 12000}
CURRENCIES = tuple(BASE_FX)


@dataclass
class Accounts:
    n: int
    segment: np.ndarray  # index into SEGMENTS
    region: np.ndarray  # index into REGIONS
    currency: np.ndarray  # index into CURRENCIES
    created: np.ndarray  # int64 seconds
    owner_user: np.ndarray  # first owner (CRM user index)
    new_owner_user: np.ndarray  # owner after reassignment (-1 if never)
    reassigned_at: np.ndarray  # int64 seconds or NULL_TIME

    def owner_at(self, account: np.ndarray, when: np.ndarray) -> np.ndarray:
        moved = (self.reassigned_at[account] != NULL_TIME) & (when >= self.reassigned_at[account])
        return np.where(moved, self.new_owner_user[account], self.owner_user[account])


def _cell_owners(org: Org) -> dict[tuple[int, int], np.ndarray]:
    reps = org.reps_in(("AE", "AM"))
    cells: dict[tuple[int, int], np.ndarray] = {}
    for r in range(len(REGIONS)):
        for s in range(len(SEGMENTS)):
            in_cell = reps[(org.region[reps] == r) & (org.segment[reps] == s)]
            cells[(r, s)] = in_cell if in_cell.size else reps
    return cells


def build_accounts(rng: np.random.Generator, org: Org, window: Window, n: int, defect_rate: float,
                   ) -> tuple[Accounts, Table]:
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_WEIGHTS)
    region = rng.choice(len(REGIONS), size=n, p=REGION_WEIGHTS)
    office = np.zeros(n, dtype=np.int64)
    country = np.empty(n, dtype=object)
    currency = np.zeros(n, dtype=np.int64)
    for r, name in enumerate(REGIONS):
        rows = np.flatnonzero(region == r)
        choice = rng.integers(len(OFFICES[name]), size=rows.size)
        office[rows] = choice
        country[rows] = np.array([o[1] for o in OFFICES[name]], dtype=object)[choice]
        currency[rows] = np.array([CURRENCIES.index(o[2]) for o in OFFICES[name]])[choice]
    older = rng.random(n) < 0.5
    created = np.where(
        older,
        window.start - (rng.random(n) * 5 * 365 * DAY).astype(np.int64),
        sample_times(rng, n, window.start, window.end, growth=1.0)[rng.permutation(n)],
    )
    # Owners: a rep of the account's region and segment; reassigned when that rep leaves.
    owner = np.zeros(n, dtype=np.int64)
    new_owner = np.full(n, -1, dtype=np.int64)
    cells = _cell_owners(org)
    for (r, s), reps in cells.items():
        rows = np.flatnonzero((region == r) & (segment == s))
        owner[rows] = reps[rng.integers(reps.size, size=rows.size)]
        new_owner[rows] = reps[rng.integers(reps.size, size=rows.size)]
    owner_term = org.term_day[owner]
    left = (owner_term != NULL_TIME) & (owner_term * DAY > created) & (new_owner != owner)
    reassigned_at = np.where(left, owner_term * DAY + rng.integers(1, 6, n) * DAY + 10 * 3600, NULL_TIME)
    reassigned_at = np.where(reassigned_at < window.end, reassigned_at, NULL_TIME)
    new_owner = np.where(reassigned_at != NULL_TIME, new_owner, -1)
    deleted_at = np.where(rng.random(n) < 0.01, created + (rng.random(n) * 400 * DAY).astype(np.int64), NULL_TIME)
    deleted_at = np.where(deleted_at < window.end, deleted_at, NULL_TIME)
    accounts = Accounts(n, segment, region, currency, created, owner, new_owner, reassigned_at)

    names = np.char.add(np.char.add(np.array(WORDS_A)[rng.integers(len(WORDS_A), size=n)], " "),
                        np.array(WORDS_B)[rng.integers(len(WORDS_B), size=n)])
    names = np.char.add(np.char.add(names, " "), np.array(SUFFIXES)[rng.integers(len(SUFFIXES), size=n)])
    names = np.char.add(np.char.add(names, " "), (np.arange(n) + 1).astype(str))  # names are unique
    revenue = np.array([REVENUE_USD[s] for s in SEGMENTS])[segment] * rng.lognormal(0, 0.6, n)
    employees = (np.array([EMPLOYEES[s] for s in SEGMENTS])[segment] * rng.lognormal(0, 0.5, n)).astype(np.int64)

    # Versions: created; reassigned; soft-deleted.
    idx = [np.arange(n)]
    ver = [created]
    own = [owner]
    dele = [np.zeros(n, dtype=np.int8)]
    moved = np.flatnonzero(reassigned_at != NULL_TIME)
    idx.append(moved)
    ver.append(reassigned_at[moved])
    own.append(new_owner[moved])
    dele.append(np.zeros(moved.size, dtype=np.int8))
    gone = np.flatnonzero(deleted_at != NULL_TIME)
    idx.append(gone)
    ver.append(np.maximum(deleted_at[gone], np.where(reassigned_at[gone] != NULL_TIME, reassigned_at[gone] + 1, 0)))
    own.append(accounts.owner_at(gone, deleted_at[gone]))
    dele.append(np.ones(gone.size, dtype=np.int8))
    # Planted duplicate accounts: same company and country as an existing one, under a new id.
    n_dup = max(1, int(rng.binomial(n, defect_rate))) if defect_rate > 0 else 0
    source = rng.choice(n, size=n_dup, replace=False) if n_dup else np.empty(0, dtype=np.int64)
    dup_ids = np.arange(n, n + n_dup)
    idx.append(dup_ids)
    dup_time = np.maximum(created[source], window.start) + (rng.random(n_dup) * 30 * DAY).astype(np.int64)
    ver.append(np.minimum(dup_time, window.end - DAY))
    own.append(owner[source])
    dele.append(np.zeros(n_dup, dtype=np.int8))

    row = np.concatenate(idx)
    base = row.copy()  # the company each row describes (a duplicate describes its source)
    if n_dup:
        base[-n_dup:] = source
    version_time = np.concatenate(ver)
    dup_names = names[base]
    if n_dup:  # a hand-typed duplicate: different case or stray spaces, same company
        is_dup = row >= n
        variant = np.where(rng.random(row.size) < 0.5, np.char.upper(dup_names), np.char.add(dup_names, "  "))
        dup_names = np.where(is_dup, variant, dup_names)
    industries = rng.integers(len(INDUSTRIES), size=n)
    columns = {
        "account_id": Ids("A", row + 100_000),
        "account_name": dup_names,
        "industry": Codes(INDUSTRIES, industries[base]),
        "segment": Codes(SEGMENTS, segment[base]),
        "country": country[base].astype(str),
        "region": Codes(REGIONS, region[base]),
        "annual_revenue": np.round(revenue[base], -3),
        "employee_count": employees[base],
        "owner_user_id": Ids("U", np.concatenate(own) + 50_000),
        "created_at": np.where(row < n, created[base], version_time),
        "updated_at": version_time,
        "is_deleted": np.concatenate(dele),
    }
    planted = {"duplicate_accounts": row >= n}
    return accounts, Table(entity("crm", "accounts"), columns, version_time, key=row, planted=planted)
