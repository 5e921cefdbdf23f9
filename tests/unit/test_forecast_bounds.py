"""The time-series forecast stays within what a scope's history makes plausible, whatever the history."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from salesops.forecast import time_series

MONTHS = pd.period_range("2024-01", periods=24, freq="M")
NUMERIC_18_2 = 1e16  # time_series.time_series_forecasts' columns overflow at this


@pytest.mark.parametrize(("name", "months"), [
    ("a spike in the last two months", [1.0] * 22 + [1e5, 1e6]),
    ("six orders of growth", list(np.geomspace(10, 1e6, 24))),
])
def test_a_fit_that_runs_away_gives_way_to_resampled_months_and_says_why(name, months):
    """On the log scale these fits extrapolate to medians of 1e9-1e15 USD a month (the night that stopped
    on region:NA's 1e16 was one): the months are resampled from the last year instead."""
    simulation = time_series.simulate_months(pd.Series(months, index=MONTHS), horizon=18, seed=0)
    assert simulation.model == "resampled", name
    assert "ran away" in simulation.note and "resampled from the last 12" in simulation.note
    assert set(np.unique(simulation.paths)) <= set(months[-12:])  # only months that were booked


def test_too_short_a_history_gives_no_forecast_and_says_so():
    simulation = time_series.simulate_months(pd.Series([5.0] * 6, index=MONTHS[:6]), horizon=3, seed=0)
    assert simulation.paths is None and simulation.model == "none" and "6 month(s)" in simulation.note


def test_no_simulated_month_exceeds_the_plausible_ceiling_on_random_histories():
    """90 random histories, heavy-tailed, sparse or trending: every month finite, none above 3 times the
    largest month booked, every forecast row storable."""
    rng = np.random.default_rng(7)
    for case in range(90):
        kind = case % 3
        if kind == 0:
            months = rng.lognormal(10, 3, 24)
        elif kind == 1:
            months = rng.lognormal(12, 1, 24) * (rng.random(24) < 0.3)
        else:
            months = np.geomspace(1, 10 ** rng.uniform(2, 8), 24) * rng.uniform(0.5, 1.5, 24)
        history = pd.Series(months, index=MONTHS)
        simulation = time_series.simulate_months(history, horizon=12, seed=case)
        if simulation.paths is None:
            continue
        assert np.isfinite(simulation.paths).all(), case
        assert simulation.paths.max() <= time_series.PLAUSIBLE_FACTOR * history.max() * (1 + 1e-9), case


def test_a_scopes_rows_stay_storable():
    won = pd.DataFrame({"won_date": pd.to_datetime([f"{m}-15" for m in MONTHS.astype(str)]),
                        "amount_usd": [1.0] * 22 + [1e5, 1e6]})
    periods = [time_series.Period("quarter", date(2027, 7, 1)), time_series.Period("month", date(2026, 1, 1))]
    rows, simulation = time_series.forecast_scope(won, date(2026, 1, 1), periods)
    assert simulation.model == "resampled" and len(rows) == 2
    for row in rows:
        assert 0 <= row["lower_usd"] <= row["upper_usd"] < NUMERIC_18_2 and row["forecast_usd"] < NUMERIC_18_2
