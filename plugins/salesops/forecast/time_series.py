"""The time_series forecast: an exponential-smoothing model of monthly bookings (statsmodels ETS).

For each as-of day the night forecasts (dbt's `int_forecast_as_of_dates`), and each scope (company,
segment, region), the model is fitted on the months completed before that day only, then simulated
forward; a period's forecast adds the months already complete to the model's months (the current
month never below what it has already booked), and the 80% interval is the 10th-90th percentile of
the simulated period totals. A fit that fails or runs away (its months far above anything the history
booked) gives way to months resampled from the recent history, and its simulated months never go above
a plausible ceiling: one scope's bad fit never stops a night; forecast.time_series_notes says which
scopes and why. The periods are the ones the pipeline methods forecast (read from
`int_forecast_pipeline_methods`), so the three methods line up. Rows are replaced per as-of day,
so a rerun or a backfill is idempotent.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import execute_values

from salesops import schema, warehouse
from salesops.config import Settings

log = logging.getLogger(__name__)

METHOD = "time_series"
MIN_MONTHS = 12  # fewer completed months than this: no time-series forecast for the scope
SEASONAL_MONTHS = 24  # two full years before the model fits a yearly season
SIMULATIONS = 1000
# A simulated month above this many times the largest month of the scope's history is not plausible: the
# fit's tail is cut there, and a fit whose median month exceeds it ran away (months are resampled instead).
PLAUSIBLE_FACTOR = 3.0
RESAMPLED_MONTHS = 12


@dataclass(frozen=True)
class Period:
    period_type: str
    start: date

    @property
    def months(self) -> list[pd.Timestamp]:
        count = 1 if self.period_type == "month" else 3
        return list(pd.date_range(pd.Timestamp(self.start), periods=count, freq="MS"))


def monthly_bookings(won: pd.DataFrame, as_of: date) -> pd.Series:
    """Bookings per calendar month won on or before the as-of day (no look-ahead), gaps as 0."""
    known = won[won["won_date"] <= pd.Timestamp(as_of)]
    if known.empty:
        return pd.Series(dtype=float)
    totals = known.groupby(known["won_date"].dt.to_period("M"))["amount_usd"].sum()
    index = pd.period_range(totals.index.min(), pd.Timestamp(as_of).to_period("M"), freq="M")
    return totals.reindex(index, fill_value=0.0).astype(float)


@dataclass(frozen=True)
class Simulation:
    paths: np.ndarray | None  # (SIMULATIONS, horizon) future monthly bookings, None: no forecast
    model: str  # ets, resampled (the fallback) or none
    note: str | None = None  # why the fallback (or no forecast), for the night's report


def simulate_months(history: pd.Series, horizon: int, seed: int) -> Simulation:
    """Simulated future monthly bookings after `history`: the ETS model's, bounded by what the history makes
    plausible; where its fit fails or runs away, months resampled from the recent history instead."""
    if len(history) < MIN_MONTHS or history.sum() <= 0:
        return Simulation(None, "none", f"{len(history)} month(s) of bookings history: {MIN_MONTHS} needed")
    ceiling = PLAUSIBLE_FACTOR * float(history.max())
    try:
        paths = _ets_paths(history, horizon, seed)
        runaway = float(np.median(paths, axis=0).max()) if np.isfinite(paths).all() else float("inf")
        if runaway <= ceiling:
            # a tail the log scale blows up (a few paths of 1e15) is cut at the plausible ceiling
            return Simulation(np.minimum(paths, ceiling), "ets")
        note = (f"the ETS fit ran away (a median month of {runaway:,.0f} USD, over {PLAUSIBLE_FACTOR:g} times the"
                f" largest month of its history, {history.max():,.0f})")
    except (ValueError, np.linalg.LinAlgError, FloatingPointError, OverflowError) as exc:
        note = f"the ETS fit failed ({exc})"
    return Simulation(_resampled_paths(history, horizon, seed), "resampled",
                      f"{note}: months resampled from the last {RESAMPLED_MONTHS} instead")


def _ets_paths(history: pd.Series, horizon: int, seed: int) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = len(history) >= SEASONAL_MONTHS
    # On the log scale: bookings are positive and their swings grow with the level, so errors are
    # relative; the simulated paths come back through expm1, whose mean is the forecast.
    series = pd.Series(np.log1p(history.to_numpy()), index=history.index.to_timestamp(), dtype=float)
    model = ETSModel(series, error="add", trend="add", damped_trend=True,
                     seasonal="add" if seasonal else None, seasonal_periods=12 if seasonal else None)
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")  # convergence chatter on short, flat series
        fitted = model.fit(disp=False, maxiter=200)
        paths = fitted.simulate(nsimulations=horizon, repetitions=SIMULATIONS, anchor="end",
                                rng=np.random.default_rng(seed))
        return np.expm1(np.asarray(paths, dtype=float).reshape(horizon, SIMULATIONS).T).clip(0, None)


def _resampled_paths(history: pd.Series, horizon: int, seed: int) -> np.ndarray:
    """Each future month drawn from the last RESAMPLED_MONTHS months (never outside what was booked)."""
    recent = history.to_numpy()[-RESAMPLED_MONTHS:]
    return np.random.default_rng(seed).choice(recent, size=(SIMULATIONS, horizon), replace=True)


def forecast_scope(won: pd.DataFrame, as_of: date, periods: list[Period], seed: int = 0
                   ) -> tuple[list[dict], Simulation]:
    """Forecast rows for one scope as of one day, and the simulation they came from (its model and note)."""
    series = monthly_bookings(won, as_of)
    current = pd.Timestamp(as_of).to_period("M")
    completed = series[series.index < current]
    so_far = float(series.get(current, 0.0))
    last = max(m for p in periods for m in p.months).to_period("M")
    horizon = (last - current).n + 1
    simulation = simulate_months(completed, horizon, seed)
    if simulation.paths is None:
        return [], simulation
    paths = simulation.paths.copy()
    paths[:, 0] = np.maximum(paths[:, 0], so_far)  # the current month has booked this much already
    rows = []
    for period in periods:
        totals = np.zeros(SIMULATIONS)
        for month in period.months:
            step = (month.to_period("M") - current).n
            totals += float(completed.get(month.to_period("M"), 0.0)) if step < 0 else paths[:, step]
        rows.append({"period_type": period.period_type, "period_start": period.start,
                     "forecast_usd": float(np.mean(totals)), "lower_usd": float(np.percentile(totals, 10)),
                     "upper_usd": float(np.percentile(totals, 90)), "fitted_months": len(completed)})
    return rows, simulation


def _scoped(won: pd.DataFrame) -> dict[str, pd.DataFrame]:
    scopes = {"company": won}
    for column in ("segment", "region"):
        for value, part in won.groupby(won[column].fillna("unknown")):
            scopes[f"{column}:{value}"] = part
    return scopes


def run(settings: Settings) -> dict:
    """Forecast every as-of day of the current build and write them (replacing those days)."""
    conn = warehouse.connect(settings)
    try:
        return _run(conn)
    finally:
        conn.close()


def _frame(conn: PgConnection, query: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(query)
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def _run(conn: PgConnection) -> dict:
    periods_by_day = _frame(
        conn, "select distinct as_of_date, period_type, period_start from intermediate.int_forecast_pipeline_methods")
    periods_by_day["as_of_date"] = pd.to_datetime(periods_by_day["as_of_date"])
    periods_by_day["period_start"] = pd.to_datetime(periods_by_day["period_start"])
    # summed per scope and day in the warehouse: the model needs no single deal, and moving every won
    # deal into pandas costs far more than moving the sums
    won = _frame(conn, "select segment, region, won_date, sum(amount_usd) as amount_usd"
                       " from intermediate.int_won_deals_dated group by segment, region, won_date")
    won["won_date"] = pd.to_datetime(won["won_date"])
    won["amount_usd"] = won["amount_usd"].astype(float)
    scopes = _scoped(won)
    rows, notes = [], []
    for as_of, group in periods_by_day.groupby("as_of_date"):
        periods = [Period(r.period_type, r.period_start.date()) for r in group.itertuples()]
        for seed, (scope, part) in enumerate(sorted(scopes.items())):
            scope_rows, simulation = forecast_scope(part, as_of.date(), periods, seed=seed)
            if simulation.note:
                notes.append((as_of.date(), scope, simulation.model, simulation.note))
            for row in scope_rows:
                rows.append((as_of.date(), row["period_type"], row["period_start"], scope, METHOD,
                             round(row["forecast_usd"], 2), round(row["lower_usd"], 2), round(row["upper_usd"], 2),
                             row["fitted_months"], simulation.model))
    days = sorted({d.date() for d in periods_by_day["as_of_date"]})
    with conn.cursor() as cur:
        cur.execute(schema.TIME_SERIES_DDL)
        for table in ("time_series_forecasts", "time_series_notes"):
            cur.execute(f"delete from forecast.{table} where as_of_date = any(%s)", (days,))
        execute_values(cur, "insert into forecast.time_series_forecasts (as_of_date, period_type, period_start,"
                       " scope, method, forecast_usd, lower_usd, upper_usd, fitted_months, model) values %s",
                       rows, page_size=5000)
        if notes:
            execute_values(cur, "insert into forecast.time_series_notes (as_of_date, scope, model, note) values %s",
                           notes)
    conn.commit()
    for as_of, scope, model, note in notes:
        log.warning("time_series %s as of %s: %s (%s)", scope, as_of, note, model)
    log.info("time_series: %d forecast rows for %d as-of day(s)", len(rows), len(days))
    return {"as_of_days": len(days), "rows": len(rows), "fallbacks": len(notes)}
