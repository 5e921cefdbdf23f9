"""Planted defects: realistic mistakes at a controlled rate, counted in a manifest.

File-level defects are applied to the text of a chunk just before it is written; two more kinds
(duplicate accounts, CRM users with no HR match) are whole rows the generators add and flag.
Every planted defect lands on a different row, so the counts add up exactly.
"""

from __future__ import annotations

import numpy as np

# Entity key -> defect kind -> the column it corrupts (None: the whole row).
PLAN: dict[str, dict[str, str | None]] = {
    "crm__accounts": {"duplicate_rows": None, "missing_ids": "account_id", "bad_dates": "created_at"},
    "crm__leads": {"duplicate_rows": None, "missing_ids": "lead_id", "bad_dates": "created_at"},
    "crm__opportunities": {
        "duplicate_rows": None, "missing_ids": "opportunity_id", "bad_dates": "close_date",
        "non_numeric_amounts": "amount", "unknown_stage_names": "stage", "orphan_foreign_keys": "account_id",
        "stale_open_deals": "close_date",
    },
    "crm__opportunity_history": {"unknown_stage_names": "stage", "non_numeric_amounts": "amount"},
    "crm__activities": {"duplicate_rows": None, "missing_ids": "activity_id",
                        "orphan_foreign_keys": "opportunity_id"},
    "contracts__contracts": {"bad_dates": "start_date", "non_numeric_amounts": "total_contract_value",
                             "orphan_foreign_keys": "account_id"},
}
ROW_KINDS = ("duplicate_accounts", "crm_users_without_hr_match")  # planted as generated rows
LOADER_REJECTS = ("bad_dates", "non_numeric_amounts", "missing_ids")  # the loader must quarantine these
ALL_KINDS = tuple(sorted({k for plan in PLAN.values() for k in plan} | set(ROW_KINDS)))

BAD_DATES = np.array(["2026-02-30", "31/12/2025", "2025-13-01", "yesterday"])
BAD_TIMESTAMPS = np.array(["2026-02-30T10:00:00Z", "31/12/2025 10:00", "not a date", "2025-13-01T00:00:00Z"])
BAD_AMOUNTS = np.array(["12,345.00", "n/a", "USD 1200", "1.2.3", "12k"])
UNKNOWN_STAGES = np.array(["Closed Won", "Negotiation/Review", "Qualify", "closedwon", "Stage 3"])
OPEN_STAGES = np.array(["prospecting", "qualification", "discovery", "proposal", "negotiation"])


def plant(rng: np.random.Generator, entity_key: str, text: dict[str, np.ndarray], protected: np.ndarray,
          rate: float, night_day: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Corrupt a chunk in place of its text columns; return the new columns and the counts per kind."""
    plan = PLAN.get(entity_key)
    counts: dict[str, int] = {}
    n = protected.size
    if not plan or rate <= 0 or n == 0:
        return text, counts
    available = ~protected
    duplicate_rows = np.empty(0, dtype=np.int64)
    for kind, column in plan.items():
        eligible = available.copy()
        if kind in ("orphan_foreign_keys", "bad_dates"):
            eligible &= text[column] != ""
        elif kind == "stale_open_deals":
            eligible &= np.isin(text["stage"], OPEN_STAGES) & (text["is_deleted"] != "true")
        candidates = np.flatnonzero(eligible)
        count = min(int(rng.binomial(n, rate)), candidates.size)
        if count == 0:
            continue
        chosen = np.sort(rng.choice(candidates, size=count, replace=False))
        available[chosen] = False
        counts[kind] = int(chosen.size)
        if kind == "duplicate_rows":
            duplicate_rows = chosen
            continue
        values = text[column].copy()
        if kind == "missing_ids":
            values[chosen] = ""
        elif kind == "bad_dates":
            pool = BAD_TIMESTAMPS if column.endswith("_at") else BAD_DATES
            values = values.astype(object)
            values[chosen] = pool[rng.integers(pool.size, size=chosen.size)]
        elif kind == "non_numeric_amounts":
            values = values.astype(object)
            values[chosen] = BAD_AMOUNTS[rng.integers(BAD_AMOUNTS.size, size=chosen.size)]
        elif kind == "unknown_stage_names":
            values = values.astype(object)
            values[chosen] = UNKNOWN_STAGES[rng.integers(UNKNOWN_STAGES.size, size=chosen.size)]
        elif kind == "orphan_foreign_keys":
            values = values.astype(object)
            values[chosen] = np.char.add("MISSING-", rng.integers(1, 10**6, chosen.size).astype(str))
        elif kind == "stale_open_deals":
            past = (night_day - rng.integers(30, 121, chosen.size)).astype("datetime64[D]")
            values = values.astype(object)
            values[chosen] = np.datetime_as_string(past, unit="D")
        text[column] = values
    if duplicate_rows.size:  # an exact copy of the line right after it
        order = np.sort(np.concatenate([np.arange(n), duplicate_rows]))
        text = {name: col[order] for name, col in text.items()}
    return text, counts
