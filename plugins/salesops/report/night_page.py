"""The one-page HTML data-quality summary of a night, linking to the GX Data Docs site."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from salesops.config import Settings
from salesops.forecast import chart
from salesops.quality.gx_project import data_docs_index
from salesops.report.run_summary import summarize

_env = Environment(loader=PackageLoader("salesops.report", "templates"), autoescape=select_autoescape(["html"]))


def night_report_path(settings: Settings, night: date) -> Path:
    return settings.reports_dir / "nights" / f"{night.isoformat()}.html"


def write_night_report(settings: Settings, night: date, run_id: str | None = None) -> Path:
    """Write reports/nights/<night>.html and refresh reports/index.html; return the night's page."""
    summary = summarize(settings, night, run_id)
    path = night_report_path(settings, night)
    path.parent.mkdir(parents=True, exist_ok=True)
    docs = data_docs_index(settings)
    docs_link = os.path.relpath(docs, path.parent) if docs.exists() else None
    picture = chart.draw(settings, night) if summary.published else None
    chart_link = os.path.relpath(picture, path.parent) if picture else None
    path.write_text(_env.get_template("night.html").render(s=summary, docs_link=docs_link, chart_link=chart_link))
    refresh_index(settings)
    return path


def refresh_index(settings: Settings) -> None:
    """reports/index.html: every night's page, the Data Docs and the dbt docs."""
    nights = sorted((p.stem for p in (settings.reports_dir / "nights").glob("*.html")), reverse=True)
    docs = data_docs_index(settings)
    index = settings.reports_dir / "index.html"
    dbt_docs = settings.reports_dir / "dbt_docs" / "index.html"
    index.write_text(_env.get_template("index.html").render(
        nights=nights, docs_link=os.path.relpath(docs, index.parent) if docs.exists() else None,
        dbt_docs_link="dbt_docs/index.html" if dbt_docs.exists() else None))
