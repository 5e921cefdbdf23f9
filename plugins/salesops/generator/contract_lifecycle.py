"""Contracts signed from won deals, then renewed, amended, expired or terminated.

Each contract goes draft -> in_approval -> out_for_signature -> signed -> active, and at its end
is renewed (a child contract pointing at it), expires, or (rarely) is terminated early. Some
get an amendment (a child contract for the uplift). Every change is an event and a version.
"""

from __future__ import annotations

import numpy as np

from salesops.contracts import entity
from salesops.generator.accounts import CURRENCIES
from salesops.generator.pipeline import Opportunities
from salesops.generator.tables import Codes, Ids, Table
from salesops.generator.timeline import DAY, NULL_TIME, Window

STATUSES = ("draft", "in_approval", "out_for_signature", "signed", "active", "expired", "terminated", "renewed")
EVENTS = ("created", "sent_for_signature", "signed", "activated", "amended", "renewed", "expired", "terminated")


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    as_month = days.astype("datetime64[D]").astype("datetime64[M]")
    day_in_month = days - as_month.astype("datetime64[D]").astype(np.int64)
    target = (as_month + months.astype("timedelta64[M]")).astype("datetime64[D]").astype(np.int64)
    return target + np.minimum(day_in_month, 27)


def build_contracts(rng: np.random.Generator, opps: Opportunities, window: Window) -> tuple[Table, Table]:
    won = np.flatnonzero(opps.won)
    signed = opps.closed_at[won]
    gen = {
        "parent": np.full(won.size, -1), "opp": won, "account": opps.account[won], "owner": opps.owner_user[won],
        "currency": opps.currency[won], "signed": signed, "acv": opps.amount[won],
        "term": rng.choice([12, 24, 36], size=won.size, p=[0.6, 0.25, 0.15]),
        "auto": rng.random(won.size) < 0.5, "amendment": np.zeros(won.size, dtype=bool),
    }
    batches = [gen]
    horizon = window.end // DAY + 90
    current = gen
    first = True
    while True:  # one generation of contracts per pass: originals, then renewals of renewals ...
        start = current["signed"] // DAY + rng.integers(0, 15, current["signed"].size)
        current["start"] = np.where(current["amendment"], current["signed"] // DAY + 1, start)
        end = _add_months(current["start"], current["term"]) - 1
        current["end"] = np.where(current["amendment"], current.get("parent_end", end), end)
        n = current["signed"].size
        terminated = (rng.random(n) < 0.03) & ~current["amendment"]
        current["terminated_day"] = np.where(
            terminated, current["start"] + (rng.random(n) * (current["end"] - current["start"])).astype(np.int64),
            NULL_TIME)
        renew = ~terminated & ~current["amendment"] & (current["end"] < horizon) & (rng.random(n) < 0.65)
        current["renewed"] = renew
        if not n:
            break
        children = []
        parents_of_renewal = np.flatnonzero(renew)
        if parents_of_renewal.size:
            p = parents_of_renewal
            children.append({
                "parent_local": p, "opp": np.full(p.size, -1), "account": current["account"][p],
                "owner": current["owner"][p], "currency": current["currency"][p],
                "signed": (current["end"][p] - rng.integers(5, 31, p.size)) * DAY + 15 * 3600,
                "acv": np.round(current["acv"][p] * rng.uniform(1.0, 1.1, p.size), -2), "term": current["term"][p],
                "auto": current["auto"][p], "amendment": np.zeros(p.size, dtype=bool),
            })
        if first:
            amend = np.flatnonzero(~terminated & (rng.random(n) < 0.08) & (current["term"] >= 12))
            if amend.size:
                offset = (60 + rng.random(amend.size) * (current["end"][amend] - current["start"][amend] - 90))
                children.append({
                    "parent_local": amend, "opp": np.full(amend.size, -1), "account": current["account"][amend],
                    "owner": current["owner"][amend], "currency": current["currency"][amend],
                    "signed": (current["start"][amend] + np.maximum(offset, 30).astype(np.int64)) * DAY + 14 * 3600,
                    "acv": np.round(current["acv"][amend] * 0.2, -2), "term": current["term"][amend],
                    "auto": current["auto"][amend], "amendment": np.ones(amend.size, dtype=bool),
                    "parent_end": current["end"][amend],
                })
        first = False
        if not children:
            break
        nxt = {k: np.concatenate([c[k] for c in children]) for k in children[0] if k != "parent_end"}
        if any("parent_end" in c for c in children):
            nxt["parent_end"] = np.concatenate([c.get("parent_end", np.full(c["opp"].size, NULL_TIME))
                                                for c in children])
        nxt["batch_parent"] = (len(batches) - 1, nxt.pop("parent_local"))
        keep = nxt["signed"] < window.end
        nxt = {k: (v[keep] if isinstance(v, np.ndarray) else (v[0], v[1][keep])) for k, v in nxt.items()}
        batches.append(nxt)
        current = nxt
    return _tables(rng, batches, window)


def _tables(rng: np.random.Generator, batches: list[dict], window: Window) -> tuple[Table, Table]:
    offsets = np.cumsum([0] + [b["signed"].size for b in batches])
    for i, b in enumerate(batches):
        b["id"] = np.arange(b["signed"].size) + offsets[i]
        if "batch_parent" in b:
            parent_batch, local = b["batch_parent"]
            b["parent"] = batches[parent_batch]["id"][local]
    cat = {k: np.concatenate([b[k] for b in batches])
           for k in ("id", "parent", "opp", "account", "owner", "currency", "signed", "acv", "term", "auto",
                     "amendment", "start", "end", "terminated_day", "renewed")}
    n = cat["id"].size
    signed = cat["signed"]
    created = signed - (rng.integers(4, 16, n) * DAY)
    approval = created + rng.integers(1, 3, n) * DAY
    sent = np.minimum(approval + rng.integers(1, 3, n) * DAY, signed - 3600)
    activated = cat["start"] * DAY + 6 * 3600
    ended = np.where(cat["terminated_day"] != NULL_TIME, cat["terminated_day"], cat["end"] + 1) * DAY + 2 * 3600
    final_status = np.where(cat["terminated_day"] != NULL_TIME, STATUSES.index("terminated"),
                            np.where(cat["renewed"], STATUSES.index("renewed"), STATUSES.index("expired")))
    # Version times and statuses, one column per step of the lifecycle.
    steps_time = np.stack([created, approval, sent, signed, activated, ended], axis=1)
    steps_status = np.stack([np.full(n, STATUSES.index(s)) for s in
                             ("draft", "in_approval", "out_for_signature", "signed", "active")] + [final_status],
                            axis=1)
    steps_time = np.maximum.accumulate(steps_time, axis=1)
    happened = steps_time < window.end
    row, step = np.nonzero(happened)
    v_time = steps_time[row, step]
    status = steps_status[row, step]
    sent_known = step >= 2
    signed_known = step >= 3
    term = cat["term"]
    tcv = np.where(cat["amendment"], cat["acv"] * np.maximum((cat["end"] - cat["start"]) / 365.0, 0.1),
                   cat["acv"] * term / 12.0)
    contracts = Table(entity("contracts", "contracts"), {
        "contract_id": Ids("C", cat["id"][row] + 1_000_000),
        "contract_number": Ids("CN-", cat["id"][row] + 20_000),
        "account_id": Ids("A", cat["account"][row] + 100_000),
        "opportunity_id": Ids("OPP", np.where(cat["opp"][row] >= 0, cat["opp"][row] + 1_000_000, -1)),
        "parent_contract_id": Ids("C", np.where(cat["parent"][row] >= 0, cat["parent"][row] + 1_000_000, -1)),
        "status": Codes(STATUSES, status),
        "start_date": cat["start"][row],
        "end_date": cat["end"][row],
        "term_months": term[row].astype(np.int64),
        "total_contract_value": np.round(tcv[row], 2),
        "annual_contract_value": cat["acv"][row].astype(float),
        "currency": Codes(CURRENCIES, cat["currency"][row]),
        "auto_renew": cat["auto"][row].astype(np.int8),
        "renewal_notice_days": rng.choice([30, 60, 90], size=n)[row],
        "sent_for_signature_at": np.where(sent_known, sent[row], NULL_TIME),
        "signed_at": np.where(signed_known, signed[row], NULL_TIME),
        "owner_user_id": Ids("U", cat["owner"][row] + 50_000),
        "updated_at": v_time,
    }, v_time, key=cat["id"][row])

    event_kind = np.array([EVENTS.index("created"), -1, EVENTS.index("sent_for_signature"), EVENTS.index("signed"),
                           EVENTS.index("activated"), -1])
    kinds = event_kind[step]
    final_event = np.select([final_status == STATUSES.index("terminated"), final_status == STATUSES.index("renewed")],
                            [EVENTS.index("terminated"), EVENTS.index("renewed")], EVENTS.index("expired"))
    kinds = np.where(step == 5, final_event[row], kinds)
    keep = kinds >= 0
    e_contract, e_kind, e_time = cat["id"][row][keep], kinds[keep], v_time[keep]
    # The parent of an amendment records an `amended` event when the amendment is signed.
    amend = np.flatnonzero(cat["amendment"] & (signed < window.end))
    e_contract = np.concatenate([e_contract, cat["parent"][amend]])
    e_kind = np.concatenate([e_kind, np.full(amend.size, EVENTS.index("amended"))])
    e_time = np.concatenate([e_time, signed[amend] + 60])
    order = np.argsort(e_time, kind="stable")
    events = Table(entity("contracts", "contract_events"), {
        "event_id": Ids("EV", np.arange(order.size) + 1_000_000),
        "contract_id": Ids("C", e_contract[order] + 1_000_000),
        "event_type": Codes(EVENTS, e_kind[order]),
        "occurred_at": e_time[order],
    }, e_time[order])
    return contracts, events
