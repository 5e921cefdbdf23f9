"""Leads, opportunities with their stage history, and the activities around them.

Leads come from five sources that convert at different rates. Converted leads open new-business
opportunities; the rest are expansions, renewals and new business without a lead. Every
opportunity walks the stages in order (one history row per change), advancing with a
probability that depends on its segment, with occasional slips backwards and close-date
pushes; larger segments win less often and take longer. A deal's close date always stays after
its next change, so an open deal never goes stale by itself: stale deals are planted defects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops.contracts import FORECAST_CATEGORIES, STAGE_PROBABILITY, STAGES, entity
from salesops.generator.accounts import CURRENCIES, Accounts
from salesops.generator.org import BASE_FX, OFFICES, REGION_WEIGHTS, REGIONS, Org
from salesops.generator.tables import Codes, Ids, Numbered, Table
from salesops.generator.timeline import DAY, NULL_TIME, Window, sample_times

LEAD_SOURCES = ("inbound", "outbound", "referral", "event", "partner")
LEAD_SOURCE_WEIGHTS = (0.35, 0.30, 0.10, 0.15, 0.10)
LEAD_CONVERSION = (0.14, 0.06, 0.28, 0.09, 0.20)
LEAD_STATUSES = ("new", "working", "qualified", "disqualified", "converted")
OPP_TYPES = ("new_business", "expansion", "renewal")
# Chance to move on from each open stage (prospecting .. negotiation -> won), by segment.
ADVANCE = np.array([
    [0.86, 0.82, 0.78, 0.80, 0.78],  # SMB: win about 34%
    [0.82, 0.77, 0.72, 0.76, 0.72],  # Mid-Market: about 25%
    [0.78, 0.72, 0.66, 0.72, 0.66],  # Enterprise: about 18%
])
CYCLE_DAYS = np.array([28.0, 60.0, 120.0])  # mean days from creation to close, by segment
STAGE_SHARE = np.array([0.15, 0.15, 0.20, 0.25, 0.25])
DEAL_USD = np.array([12_000.0, 55_000.0, 220_000.0])
TYPE_FACTOR = np.array([1.0, 0.45, 0.8])
LOSS_REASONS = ("price", "competitor", "no_decision", "timing", "product_fit")
ACTIVITY_TYPES = ("call", "email", "meeting", "demo")
WON, LOST = STAGES.index("closed_won"), STAGES.index("closed_lost")
COUNTRIES = tuple(sorted({office[1] for offices in OFFICES.values() for office in offices}))
STAGE_FORECAST = np.array([0, 0, 0, 1, 2, 3, 4])  # index into FORECAST_CATEGORIES per stage


@dataclass
class Leads:
    n: int
    created: np.ndarray
    owner_user: np.ndarray
    resolved_at: np.ndarray  # when it was converted or disqualified (NULL_TIME if not yet)
    converted: np.ndarray  # bool: converted before the window ends
    account: np.ndarray  # converted account index (-1)
    opportunity: np.ndarray  # converted opportunity index (-1), set by build_opportunities
    source: np.ndarray
    country: np.ndarray  # index into COUNTRIES
    # Row versions: lead index, time, status, and whether it is the converting/disqualifying one.
    v_idx: np.ndarray
    v_time: np.ndarray
    v_status: np.ndarray
    v_final: np.ndarray

    def release_versions(self) -> None:
        """Drop the per-version arrays once the leads table is built (lowers peak memory)."""
        empty = np.empty(0, dtype=np.int64)
        self.v_idx = self.v_time = self.v_status = self.v_final = empty


@dataclass
class Opportunities:
    n: int
    created: np.ndarray
    account: np.ndarray
    owner_user: np.ndarray
    segment: np.ndarray
    last_change: np.ndarray  # time of the last history row
    won: np.ndarray  # bool: closed won within the window
    closed_at: np.ndarray  # NULL_TIME if open at the end
    amount: np.ndarray  # final amount, deal currency
    currency: np.ndarray
    type: np.ndarray


def _exclusive_group_cumsum(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    before = total - values
    return before - np.repeat(before[starts], counts)


def _accounts_created_by(rng: np.random.Generator, accounts: Accounts, region: np.ndarray,
                         when: np.ndarray) -> np.ndarray:
    """For each (region, time), a random account of that region that already existed then."""
    out = np.full(region.size, -1, dtype=np.int64)
    for r in range(len(REGIONS)):
        pool = np.flatnonzero(accounts.region == r)
        pool = pool[np.argsort(accounts.created[pool], kind="stable")]
        rows = np.flatnonzero(region == r)
        if pool.size == 0 or rows.size == 0:
            continue
        available = np.searchsorted(accounts.created[pool], when[rows], side="right")
        pick = np.floor(rng.random(rows.size) * np.maximum(available, 1)).astype(np.int64)
        out[rows] = pool[np.minimum(pick, pool.size - 1)]
    return out


def build_leads(rng: np.random.Generator, org: Org, accounts: Accounts, window: Window, n: int) -> Leads:
    created = sample_times(rng, n, window.start, window.end, growth=1.2)
    source = rng.choice(len(LEAD_SOURCES), size=n, p=LEAD_SOURCE_WEIGHTS)
    region = rng.choice(len(REGIONS), size=n, p=REGION_WEIGHTS)
    sdrs = org.reps_in(("SDR",))
    owner = sdrs[rng.integers(sdrs.size, size=n)]
    will_convert = rng.random(n) < np.array(LEAD_CONVERSION)[source]
    will_disqualify = ~will_convert & (rng.random(n) < 0.55)
    delay = np.where(will_convert, rng.gamma(2.0, 7.0, n), rng.gamma(2.0, 10.0, n)) * DAY
    resolved_at = created + DAY // 2 + delay.astype(np.int64)
    resolved = (will_convert | will_disqualify) & (resolved_at < window.end)
    converted = will_convert & resolved
    resolved_at = np.where(resolved, resolved_at, NULL_TIME)
    account = np.where(converted, _accounts_created_by(rng, accounts, region, resolved_at), -1)
    worked_at = created + (rng.gamma(2.0, 1.5, n) * DAY).astype(np.int64)
    final_open = np.where(rng.random(n) < 0.25, LEAD_STATUSES.index("qualified"), LEAD_STATUSES.index("working"))
    # Versions: created (new); being worked; converted or disqualified.
    worked = (worked_at < window.end) & (~resolved | (worked_at < resolved_at))
    v_idx = np.concatenate([np.arange(n), np.flatnonzero(worked), np.flatnonzero(resolved)])
    v_time = np.concatenate([created, worked_at[worked], resolved_at[resolved]])
    v_status = np.concatenate([
        np.zeros(n, dtype=np.int8),
        final_open[worked],
        np.where(converted[resolved], LEAD_STATUSES.index("converted"), LEAD_STATUSES.index("disqualified")),
    ])
    is_final = np.concatenate([np.zeros(n + int(worked.sum()), dtype=bool), np.ones(int(resolved.sum()), dtype=bool)])
    countries = np.zeros(n, dtype=np.int8)
    for r, name in enumerate(REGIONS):
        rows = np.flatnonzero(region == r)
        options = np.array([COUNTRIES.index(o[1]) for o in OFFICES[name]], dtype=np.int8)
        countries[rows] = options[rng.integers(options.size, size=rows.size)]
    return Leads(n, created, owner, resolved_at, converted, account, np.full(n, -1, dtype=np.int64), source,
                 countries, v_idx, v_time, v_status, is_final)


def leads_table(leads: Leads) -> Table:
    v_idx, v_time = leads.v_idx, leads.v_time
    conv = leads.v_final & leads.converted[v_idx]
    # A lead whose deal was never opened inside the window stays qualified.
    status = np.where(leads.v_final & ~conv & (leads.v_status == LEAD_STATUSES.index("converted")),
                      LEAD_STATUSES.index("qualified"), leads.v_status)
    columns = {
        "lead_id": Ids("L", v_idx + 1_000_000),
        "company": Ids("Prospect ", v_idx + 1),
        "source": Codes(LEAD_SOURCES, leads.source[v_idx]),
        "status": Codes(LEAD_STATUSES, status),
        "owner_user_id": Ids("U", leads.owner_user[v_idx] + 50_000),
        "country": Codes(COUNTRIES, leads.country[v_idx]),
        "created_at": leads.created[v_idx],
        "converted_at": np.where(conv, leads.resolved_at[v_idx], NULL_TIME),
        "converted_opportunity_id": Ids("OPP", np.where(conv, leads.opportunity[v_idx] + 1_000_000, -1)),
        "converted_account_id": Ids("A", np.where(conv, leads.account[v_idx] + 100_000, -1)),
        "updated_at": v_time,
        "is_deleted": np.zeros(v_idx.size, dtype=np.int8),
    }
    return Table(entity("crm", "leads"), columns, v_time, key=v_idx)


def build_opportunities(rng: np.random.Generator, org: Org, accounts: Accounts, leads: Leads, window: Window,
                        n: int) -> tuple[Opportunities, Table, Table]:
    from_leads = np.flatnonzero(leads.converted)
    if from_leads.size > n:
        from_leads = np.sort(rng.choice(from_leads, size=n, replace=False))
        dropped = np.setdiff1d(np.flatnonzero(leads.converted), from_leads)
        leads.converted[dropped] = False
    n_lead, n_other = from_leads.size, n - from_leads.size
    created = np.concatenate([
        leads.resolved_at[from_leads] + rng.integers(600, 4 * 3600, n_lead),
        sample_times(rng, n_other, window.start, window.end - DAY, growth=1.0),
    ])
    weights = np.array([1.0, 2.0, 4.0])[accounts.segment]
    other_account = rng.choice(accounts.n, size=n_other, p=weights / weights.sum())
    account = np.concatenate([leads.account[from_leads], other_account])
    # An account must exist before its deal: later deals go to their account's creation day.
    created = np.maximum(created, accounts.created[account] + DAY)
    keep = created < window.end - 3600
    opp_type = np.concatenate([np.zeros(n_lead, dtype=np.int64), rng.choice(3, size=n_other, p=[0.45, 0.35, 0.20])])
    lead_of = np.concatenate([from_leads, np.full(n_other, -1)])
    # Order deals by creation so their ids increase over time.
    order = np.flatnonzero(keep)[np.argsort(created[keep], kind="stable")]
    created, account, opp_type, lead_of = created[order], account[order], opp_type[order], lead_of[order]
    n = created.size
    leads.opportunity[lead_of[lead_of >= 0]] = np.flatnonzero(lead_of >= 0)
    leads.converted[np.setdiff1d(np.flatnonzero(leads.converted), lead_of[lead_of >= 0])] = False

    segment = accounts.segment[account]
    currency = accounts.currency[account]
    fx = np.array([BASE_FX[c] for c in CURRENCIES])[currency]
    amount = np.round(DEAL_USD[segment] * TYPE_FACTOR[opp_type] * rng.lognormal(0, 0.5, n) / fx, -2)
    amount = np.maximum(amount, 100.0)

    # How far each deal gets: count consecutive successful advances (5 = won).
    reached = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    for k in range(5):
        alive &= rng.random(n) < ADVANCE[segment, k]
        reached += alive
    won = reached == 5
    counts = np.minimum(reached, 4) + 2  # open-stage entries, then the closing row
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    opp = np.repeat(np.arange(n), counts)
    pos = np.arange(opp.size) - np.repeat(starts, counts)
    is_close = pos == counts[opp] - 1
    stage = np.where(is_close, np.where(won[opp], WON, LOST), pos)
    stage_days = CYCLE_DAYS[segment[opp]] * STAGE_SHARE[np.minimum(stage, 4)]
    dwell = np.where(is_close, 0.0, rng.gamma(2.0, stage_days / 2.0) * DAY).astype(np.int64) + 3600
    time = created[opp] + _exclusive_group_cumsum(dwell, starts, counts)
    planned_close = (created + (CYCLE_DAYS[segment] * DAY).astype(np.int64)) // DAY

    # Extra rows: close-date pushes (stage carried from the row before) and slips back one stage.
    n_push = rng.poisson(0.45, n)
    push_opp = np.repeat(np.arange(n), n_push)
    end_time = time[starts + counts - 1]
    push_time = created[push_opp] + (rng.random(push_opp.size) * (end_time[push_opp] - created[push_opp])).astype(
        np.int64) + 1
    push_days = rng.integers(14, 46, push_opp.size)
    slip = (reached >= 2) & (rng.random(n) < 0.06)
    slip_opp = np.flatnonzero(slip)
    slip_stage = 2 + (rng.random(slip_opp.size) * (np.minimum(reached[slip_opp], 4) - 1)).astype(np.int64)
    entry_row = starts[slip_opp] + slip_stage
    slip_len = np.maximum(time[entry_row + 1] - time[entry_row], 4)
    slip_back = time[entry_row] + slip_len // 4
    slip_fwd = time[entry_row] + slip_len // 2

    opp_all = np.concatenate([opp, push_opp, slip_opp, slip_opp])
    time_all = np.concatenate([time, push_time, slip_back, slip_fwd])
    stage_all = np.concatenate([stage, np.full(push_opp.size, -1), slip_stage - 1, slip_stage])
    push_all = np.concatenate([np.zeros(opp.size, np.int64), push_days, np.zeros(2 * slip_opp.size, np.int64)])
    del opp, pos, is_close, stage, stage_days, dwell, time, push_opp, push_time, push_days  # lowers peak memory
    seq = np.arange(opp_all.size)
    order = np.lexsort((seq, time_all, opp_all))
    del seq
    opp_all, time_all, stage_all, push_all = opp_all[order], time_all[order], stage_all[order], push_all[order]
    # Rows after the window ends have not happened yet: those deals are still open.
    happened = time_all < window.end
    opp_all, time_all, stage_all, push_all = opp_all[happened], time_all[happened], stage_all[happened], push_all[
        happened]
    del order, happened
    filled = np.where(stage_all >= 0, np.arange(stage_all.size), 0)
    stage_all = stage_all[np.maximum.accumulate(filled)].astype(np.int8)
    del filled

    rows = opp_all.size
    group_start = np.ones(rows, dtype=bool)
    group_start[1:] = opp_all[1:] != opp_all[:-1]
    starts2 = np.flatnonzero(group_start)
    counts2 = np.diff(np.append(starts2, rows))
    pushed = np.cumsum(push_all) - np.repeat(np.cumsum(push_all)[starts2] - push_all[starts2], counts2)
    closed_row = stage_all >= WON
    next_time = np.append(time_all[1:], NULL_TIME)
    last_row = np.append(opp_all[1:] != opp_all[:-1], True)
    # An open version's close date stays after the deal's next change (or after the window).
    after_next = np.where(last_row, window.end + 120 * DAY, next_time) // DAY + 1
    close_date = np.where(closed_row, time_all // DAY, np.maximum(planned_close[opp_all] + pushed, after_next))
    closed_at = np.where(closed_row, time_all, NULL_TIME)
    changed = (rng.random(n) < 0.25)[opp_all] & (stage_all >= 3) & (stage_all != LOST)
    factor = rng.uniform(0.85, 1.15, n)[opp_all]
    row_amount = np.round(np.where(changed, amount[opp_all] * factor, amount[opp_all]), -2)
    probability = np.array([STAGE_PROBABILITY[s] for s in STAGES], dtype=float)[stage_all]
    custom = (rng.random(rows) < 0.1) & ~closed_row
    probability = np.where(custom, np.clip(probability + rng.choice([-10.0, 10.0], rows), 5, 95), probability)
    forecast = STAGE_FORECAST[stage_all]
    forecast = np.where((stage_all == 2) & (rng.random(n) < 0.5)[opp_all], 1, forecast)
    loss = np.where(stage_all == LOST, rng.integers(len(LOSS_REASONS), size=rows), -1)

    final_row = np.flatnonzero(last_row)
    final_stage = stage_all[final_row]
    opps = Opportunities(
        n=n, created=created, account=account, owner_user=accounts.owner_at(account, time_all[final_row]),
        segment=segment,
        last_change=time_all[final_row], won=final_stage == WON,
        closed_at=np.where(final_stage >= WON, time_all[final_row], NULL_TIME),
        amount=row_amount[final_row], currency=currency, type=opp_type,
    )
    history = Table(entity("crm", "opportunity_history"), {
        "history_id": Ids("H", np.arange(rows) + 1_000_000),
        "opportunity_id": Ids("OPP", opp_all + 1_000_000),
        "stage": Codes(STAGES, stage_all),
        "amount": row_amount,
        "currency": Codes(CURRENCIES, currency[opp_all]),
        "probability": probability,
        "close_date": close_date,
        "forecast_category": Codes(FORECAST_CATEGORIES, forecast),
        "changed_at": time_all,
    }, time_all)

    # The opportunity extract: one version per history row, plus soft deletes after the last change.
    deleted = (rng.random(n) < 0.003) & (opps.last_change + 20 * DAY < window.end)
    del_opp = np.flatnonzero(deleted)
    del_rows = final_row[del_opp]
    v = np.concatenate([np.arange(rows), del_rows])
    v_time = np.concatenate([time_all, opps.last_change[del_opp] + rng.integers(1, 20, del_opp.size) * DAY])
    v_opp = opp_all[v]
    opportunities = Table(entity("crm", "opportunities"), {
        "opportunity_id": Ids("OPP", v_opp + 1_000_000),
        "account_id": Ids("A", account[v_opp] + 100_000),
        # Deals follow their account: when a rep leaves, the new account owner carries (and is credited).
        "owner_user_id": Ids("U", accounts.owner_at(account[v_opp], v_time) + 50_000),
        "opportunity_name": Numbered(tuple(f"{t} deal " for t in OPP_TYPES), opp_type[v_opp], v_opp + 1),
        "type": Codes(OPP_TYPES, opp_type[v_opp]),
        "stage": Codes(STAGES, stage_all[v]),
        "amount": row_amount[v],
        "currency": Codes(CURRENCIES, currency[v_opp]),
        "probability": probability[v],
        "forecast_category": Codes(FORECAST_CATEGORIES, forecast[v]),
        "created_at": created[v_opp],
        "close_date": close_date[v],
        "closed_at": closed_at[v],
        "lead_id": Ids("L", np.where(lead_of[v_opp] >= 0, lead_of[v_opp] + 1_000_000, -1)),
        "loss_reason": Codes(LOSS_REASONS, loss[v]),
        "updated_at": v_time,
        "is_deleted": np.concatenate([np.zeros(rows, np.int8), np.ones(del_opp.size, np.int8)]),
    }, v_time, key=v_opp)
    return opps, opportunities, history


def activities_table(rng: np.random.Generator, opps: Opportunities, leads: Leads, window: Window,
                     n: int) -> Table:
    """Calls, emails, meetings and demos by the deal owner (or the lead's SDR) while it is live."""
    n_opp_acts = int(n * 0.75)
    n_lead_acts = n - n_opp_acts
    span = np.maximum(np.minimum(opps.last_change + 3 * DAY, window.end) - opps.created, 3600)
    weights = np.sqrt(span.astype(float))
    on_opp = rng.choice(opps.n, size=n_opp_acts, p=weights / weights.sum())
    t_opp = opps.created[on_opp] + (rng.random(n_opp_acts) * span[on_opp]).astype(np.int64)
    on_lead = rng.integers(leads.n, size=n_lead_acts)
    lead_end = np.where(leads.resolved_at != NULL_TIME, leads.resolved_at, leads.created + 30 * DAY)
    lead_span = np.maximum(np.minimum(lead_end, window.end) - leads.created, 3600)
    t_lead = leads.created[on_lead] + (rng.random(n_lead_acts) * lead_span[on_lead]).astype(np.int64)
    occurred = np.concatenate([t_opp, t_lead])
    kind = np.concatenate([
        rng.choice(4, size=n_opp_acts, p=[0.30, 0.42, 0.16, 0.12]),
        rng.choice(4, size=n_lead_acts, p=[0.45, 0.50, 0.05, 0.0]),
    ])
    minutes = np.array([20, 3, 45, 60])[kind] * rng.uniform(0.3, 1.8, n)
    updated = occurred + rng.integers(60, 7200, n)
    happened = updated < window.end
    order = np.flatnonzero(happened)[np.argsort(updated[happened], kind="stable")]
    del happened  # the arrays here hold every activity: keep few alive at once
    opp_idx = np.concatenate([on_opp, np.full(n_lead_acts, -1)]).astype(np.int32)[order]
    lead_idx = np.concatenate([np.full(n_opp_acts, -1), on_lead]).astype(np.int32)[order]
    del on_opp, on_lead, t_opp, t_lead
    is_opp = opp_idx >= 0
    user = np.where(is_opp, opps.owner_user[np.maximum(opp_idx, 0)], leads.owner_user[np.maximum(lead_idx, 0)])
    account = np.where(is_opp, opps.account[np.maximum(opp_idx, 0)], -1)
    del is_opp
    columns = {
        "activity_id": Ids("ACT", np.arange(order.size) + 1_000_000),
        "user_id": Ids("U", user + 50_000),
        "activity_type": Codes(ACTIVITY_TYPES, kind[order]),
        "account_id": Ids("A", np.where(account >= 0, account + 100_000, -1)),
        "opportunity_id": Ids("OPP", np.where(opp_idx >= 0, opp_idx + 1_000_000, -1)),
        "lead_id": Ids("L", np.where(lead_idx >= 0, lead_idx + 1_000_000, -1)),
        "occurred_at": occurred[order],
        "duration_minutes": np.maximum(np.round(minutes[order]), 1).astype(np.int64),
        "updated_at": updated[order],
    }
    del user, account, opp_idx, lead_idx, kind, minutes, occurred
    return Table(entity("crm", "activities"), columns, updated[order])


def won_usd_by_quarter(opps: Opportunities) -> dict[tuple[int, int], float]:
    """Closed-won USD (at base rates) per (quarter start day, account segment): what quotas are set from."""
    won = np.flatnonzero(opps.won)
    day = opps.closed_at[won] // DAY
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    quarter = (month - month % 3).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    usd = opps.amount[won] * np.array([BASE_FX[c] for c in CURRENCIES])[opps.currency[won]]
    out: dict[tuple[int, int], float] = {}
    for q, seg, value in zip(quarter.tolist(), opps.segment[won].tolist(), usd.tolist(), strict=True):
        out[(q, seg)] = out.get((q, seg), 0.0) + value
    return out
