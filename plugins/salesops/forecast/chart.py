"""The forecast picture of the night: per method, the company's quarterly forecast (as of each
quarter's first day, with its 80% interval) against the bookings actually won, over every closed
quarter, plus the open quarters' current forecasts. A PNG next to the reports, redrawn each night."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from salesops import warehouse
from salesops.config import PUBLISHED_SCHEMA, Settings

METHODS = ("crm_probability", "historical_stage_rate", "time_series")


def _rows(settings: Settings, query: str, params: tuple = ()) -> list[tuple]:
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def draw(settings: Settings, night: date, schema: str = PUBLISHED_SCHEMA) -> Path | None:
    """Write reports/forecast/<night>.png (and latest.png); None when nothing is forecast yet."""
    import matplotlib

    matplotlib.use("Agg")  # no screen
    import matplotlib.pyplot as plt

    if not _rows(settings, "select 1 from information_schema.tables where table_schema = %s"
                           " and table_name = 'kpi_forecast_accuracy'", (schema,)):
        return None
    closed = _rows(settings, f"select method, period_start, forecast_usd, lower_usd, upper_usd, actual_usd"
                             f" from {schema}.kpi_forecast_accuracy where scope = 'company' and period_type = 'quarter'"
                             f" and horizon = 'period_start' order by period_start")
    latest = _rows(settings, f"select method, period_start, forecast_usd, lower_usd, upper_usd"
                             f" from {schema}.fct_forecast_snapshots where scope = 'company'"
                             f" and period_type = 'quarter' and as_of_date = %s order by period_start", (night,))
    if not closed and not latest:
        return None
    figure, axes = plt.subplots(len(METHODS), 1, figsize=(10, 9), sharex=True, sharey=True)
    for axis, method in zip(axes, METHODS, strict=True):
        past = [r for r in closed if r[0] == method]
        ahead = [r for r in latest if r[0] == method]
        actual = sorted({(r[1], float(r[5])) for r in closed})
        if actual:
            axis.plot([d for d, _ in actual], [v / 1e6 for _, v in actual], "k-o", label="actual bookings", ms=3)
        for rows, colour, label in ((past, "tab:blue", "forecast as of the quarter's first day"),
                                    (ahead, "tab:orange", f"forecast as of {night}")):
            if rows:
                days = [r[1] for r in rows]
                axis.plot(days, [float(r[2]) / 1e6 for r in rows], "o--", color=colour, label=label, ms=4)
                axis.fill_between(days, [float(r[3]) / 1e6 for r in rows], [float(r[4]) / 1e6 for r in rows],
                                  color=colour, alpha=0.2)
        axis.set_title(method.replace("_", " "))
        axis.set_ylabel("USD millions")
        axis.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8)
    figure.suptitle(f"Company bookings by quarter: forecasts (80% intervals) against actuals, night {night}")
    figure.tight_layout()
    folder = settings.reports_dir / "forecast"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{night.isoformat()}.png"
    figure.savefig(path, dpi=90)
    figure.savefig(folder / "latest.png", dpi=90)
    plt.close(figure)
    return path
