"""Daily exchange rates: a random walk per currency, published on weekdays (USD is always 1)."""

from __future__ import annotations

import numpy as np

from salesops.contracts import entity
from salesops.generator.org import BASE_FX
from salesops.generator.tables import Codes, Table
from salesops.generator.timeline import DAY, Window


def fx_rates_table(rng: np.random.Generator, window: Window) -> Table:
    # From a quarter before the history starts, so the first quotas have a rate on their first day.
    days = np.arange(window.start // DAY - 120, window.end // DAY, dtype=np.int64)
    published = days[(days + 3) % 7 < 5]  # 1970-01-01 was a Thursday: Monday..Friday only
    currencies = tuple(BASE_FX)
    codes, dates, rates = [], [], []
    for code, name in enumerate(currencies):
        if name == "USD":
            walk = np.ones(published.size)
        else:
            walk = BASE_FX[name] * np.exp(np.cumsum(rng.normal(0, 0.004, published.size)))
        codes.append(np.full(published.size, code))
        dates.append(published)
        rates.append(np.round(walk, 6))
    date_a = np.concatenate(dates)
    columns = {"date": date_a, "currency": Codes(currencies, np.concatenate(codes)),
               "rate_to_usd": np.concatenate(rates)}
    return Table(entity("crm", "fx_rates"), columns, date_a * DAY + 16 * 3600)
