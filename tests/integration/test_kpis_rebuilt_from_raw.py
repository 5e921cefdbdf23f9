"""Headline KPIs rebuilt in Python straight from the raw tables, compared with the marts.

The Python side shares no SQL with dbt: it reads the raw text rows of every batch up to the night,
keeps the latest `updated_at` per key, drops soft deletes, converts at the latest published rate on
or before the day (USD is 1), and maps CRM owners to HR employees by trimmed, lower-cased email.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from salesops import warehouse
from salesops.contracts import SOURCES, STAGE_PROBABILITY
from salesops.ingest.loader import load_source
from salesops.orchestration import nightly

from ..conftest import SAMPLE_LANDING

NIGHT = date(2026, 11, 21)
TRUE_WORDS = {"true", "t", "1", "yes", "y"}

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy")]


def _latest(db, table: str, key: str, order: str = "updated_at") -> pd.DataFrame:
    frame = pd.read_sql(f"select * from raw.{table} where _batch_id <= %(night)s", db, params={"night": str(NIGHT)})
    frame = frame.sort_values([order, "_batch_id", "_line_number"], ascending=False, na_position="last")
    frame = frame.drop_duplicates(key, keep="first")
    if "is_deleted" in frame:
        frame = frame[~frame["is_deleted"].fillna("").str.strip().str.lower().isin(TRUE_WORDS)]
    return frame


def _quarter(day: pd.Series) -> pd.Series:
    return day.dt.to_period("Q").dt.start_time.dt.date


@pytest.fixture(scope="module")
def built(warehouse_server, tmp_path_factory):
    conn = warehouse.connect(warehouse_server)
    warehouse.drop_every_schema(conn)
    for night in ("2026-11-19", "2026-11-20", "2026-11-21"):
        for source in SOURCES:
            load_source(conn, SAMPLE_LANDING, source, date.fromisoformat(night))
    nightly.build(NIGHT, full_refresh=True, settings=warehouse_server)
    nightly.forecast(NIGHT, full_refresh=True, settings=warehouse_server)  # a first night: accuracy from day one
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def raw(built):
    db = built
    opps = _latest(db, "crm__opportunities", "opportunity_id")
    for column in ("created_at", "closed_at"):
        opps[column] = pd.to_datetime(opps[column].replace("", None), utc=True, format="ISO8601")
    opps = opps[opps["created_at"].dt.date <= NIGHT]
    opps["amount"] = pd.to_numeric(opps["amount"].replace("", None))
    opps["probability"] = pd.to_numeric(opps["probability"].replace("", None))
    opps["currency"] = opps["currency"].str.strip().str.upper()
    opps["closed_date"] = opps["closed_at"].dt.date

    rates = _latest(db, "crm__fx_rates", ["date", "currency"], order="_batch_id")
    rates = rates.assign(date=pd.to_datetime(rates["date"]).dt.date, currency=rates["currency"].str.strip().str.upper(),
                         rate=pd.to_numeric(rates["rate_to_usd"]))
    rates = rates[rates["date"] <= NIGHT].sort_values("date")

    def rate(currency: str, day: date) -> float | None:
        if currency == "USD":
            return 1.0
        published = rates[(rates["currency"] == currency) & (rates["date"] <= day)]
        return float(published["rate"].iloc[-1]) if len(published) else None

    users = _latest(db, "crm__users", "user_id")
    employees = _latest(db, "hr__employees", "employee_id")
    employees = employees.assign(email=employees["work_email"].str.strip().str.lower()).sort_values(
        ["hire_date", "employee_id"], ascending=[False, True])
    by_email = employees.drop_duplicates("email").set_index("email")["employee_id"]
    owner_of = {u: by_email.get(e.strip().lower()) for u, e in zip(users["user_id"], users["email"], strict=True)}
    opps["employee_id"] = opps["owner_user_id"].map(owner_of)
    quotas = _latest(db, "hr__quotas", ["employee_id", "period_start", "quota_type"], order="_batch_id")
    return {"opps": opps, "rate": rate, "quotas": quotas}


def test_quota_attainment_matches_the_marts(built, raw):
    opps, rate = raw["opps"], raw["rate"]
    won = opps[(opps["stage"] == "closed_won") & opps["closed_date"].notna() & (opps["closed_date"] <= NIGHT)]
    marts = pd.read_sql("select employee_id, period_start, bookings_usd, quota_usd, attainment"
                        " from marts_build.kpi_quota_attainment where period_type = 'quarter'", built)
    marts = marts.set_index(["employee_id", "period_start"])
    quotas = raw["quotas"]
    quotas = quotas[(quotas["quota_type"] == "bookings") & (pd.to_datetime(quotas["period_start"]).dt.date <= NIGHT)]
    checked = 0
    for quota in quotas.itertuples():
        start, end = date.fromisoformat(quota.period_start), date.fromisoformat(quota.period_end)
        quota_usd = float(quota.quota_amount) * rate(quota.currency.strip().upper(), start)
        mine = won[(won["employee_id"] == quota.employee_id) & (won["closed_date"] >= start)
                   & (won["closed_date"] <= end)]
        bookings = sum(row.amount * rate(row.currency, row.closed_date) for row in mine.itertuples())
        mart = marts.loc[(quota.employee_id, start)]
        assert float(mart["quota_usd"]) == pytest.approx(quota_usd, abs=0.01), (quota.employee_id, start)
        assert float(mart["bookings_usd"]) == pytest.approx(bookings, abs=0.01 * (len(mine) + 1))
        assert float(mart["attainment"]) == pytest.approx(bookings / quota_usd, abs=1e-5)
        checked += bookings > 0
    assert checked >= 5  # several reps with real bookings, not only empty quarters


def test_win_rate_matches_the_marts(built, raw):
    opps = raw["opps"]
    closed = opps[opps["stage"].isin(["closed_won", "closed_lost"]) & opps["closed_date"].notna()]
    closed = closed.assign(quarter=_quarter(pd.to_datetime(closed["closed_date"])), won=closed["stage"] == "closed_won")
    expected = closed.groupby("quarter")["won"].agg(["sum", "count"])
    marts = pd.read_sql("select period_start, won_deals, lost_deals, win_rate from marts_build.kpi_win_rate"
                        " where period_type = 'quarter' and dimension = 'all'", built).set_index("period_start")
    assert len(expected) >= 8 and set(expected.index) == set(marts.index)
    for quarter, row in expected.iterrows():
        won, lost = row["sum"], row["count"] - row["sum"]
        assert (marts.loc[quarter, "won_deals"], marts.loc[quarter, "lost_deals"]) == (won, lost)
        assert float(marts.loc[quarter, "win_rate"]) == pytest.approx(row["sum"] / row["count"], abs=1e-6)


def test_weighted_pipeline_matches_the_marts(built, raw):
    opps, rate = raw["opps"], raw["rate"]
    open_deals = opps[~opps["stage"].isin(["closed_won", "closed_lost"])].copy()
    open_deals["usd"] = [row.amount * rate(row.currency, NIGHT) for row in open_deals.itertuples()]
    # a missing probability takes the stage's default; a past or missing close date counts on the night
    probability = open_deals["probability"].fillna(open_deals["stage"].map(STAGE_PROBABILITY))
    open_deals["weighted"] = open_deals["usd"] * probability / 100
    night = pd.Timestamp(NIGHT)
    expected_close = pd.to_datetime(open_deals["close_date"]).fillna(night).clip(lower=night)
    open_deals["quarter"] = _quarter(expected_close)
    expected = open_deals.groupby("quarter").agg(deals=("usd", "size"), usd=("usd", "sum"), crm=("weighted", "sum"))
    marts = pd.read_sql("select close_period_start, open_deals, pipeline_usd, weighted_crm_usd"
                        " from marts_build.kpi_weighted_pipeline where snapshot_date = %(night)s and"
                        " close_period_type = 'quarter' and dimension = 'all'", built,
                        params={"night": NIGHT}).set_index("close_period_start")
    assert len(expected) >= 2 and set(expected.index) == set(marts.index)
    for quarter, row in expected.iterrows():
        assert marts.loc[quarter, "open_deals"] == row["deals"]
        assert float(marts.loc[quarter, "pipeline_usd"]) == pytest.approx(row["usd"], abs=0.01 * row["deals"])
        assert float(marts.loc[quarter, "weighted_crm_usd"]) == pytest.approx(row["crm"], abs=0.02 * row["deals"])


def test_forecast_accuracy_actuals_are_the_bookings(built, raw):
    """The actual each closed quarter's forecasts are judged against is that quarter's closed-won USD, computed
    here from the raw deals (the same bookings as the win rate and attainment), for every method and horizon."""
    opps, rate = raw["opps"], raw["rate"]
    won = opps[(opps["stage"] == "closed_won") & opps["closed_date"].notna() & (opps["closed_date"] <= NIGHT)]
    won = won.assign(quarter=_quarter(pd.to_datetime(won["closed_date"])),
                     usd=[row.amount * rate(row.currency, row.closed_date) for row in won.itertuples()])
    bookings = won.groupby("quarter")["usd"].agg(["sum", "size"])
    marts = pd.read_sql("select period_start, method, horizon, actual_usd from marts_build.kpi_forecast_accuracy"
                        " where period_type = 'quarter' and scope = 'company'", built)
    assert len(marts["period_start"].unique()) >= 4 and set(marts["horizon"]) == {"period_start", "30d_before_end"}
    for row in marts.itertuples():
        expected, deals = bookings.loc[row.period_start] if row.period_start in bookings.index else (0.0, 0)
        assert float(row.actual_usd) == pytest.approx(expected, abs=0.01 * (deals + 1)), (row.period_start, row.method)
