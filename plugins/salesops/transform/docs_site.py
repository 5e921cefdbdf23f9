"""The dbt documentation site (every model, column, test and the lineage graph) as one static page."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from salesops import warehouse
from salesops.config import PUBLISHED_SCHEMA, Settings
from salesops.report import night_page
from salesops.transform import dbt_runner


def last_published_night(settings: Settings) -> date | None:
    with warehouse.transaction(settings) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('meta.publish_log')")
        if cur.fetchone()[0] is None:
            return None
        cur.execute("select max(night) from meta.publish_log where action = 'publish'")
        return cur.fetchone()[0]


def generate(settings: Settings, night: date | None = None) -> Path:
    """`dbt docs generate --static` against the published marts; returns the page's path."""
    night = night or last_published_night(settings) or date(1970, 1, 1)
    # The catalog describes what BI reads: the published schema, not tonight's build schema.
    dbt_runner.run_dbt(settings, ["docs", "generate", "--static"], night=night,
                       build_schema=PUBLISHED_SCHEMA)
    target = settings.reports_dir / "dbt_docs" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.dbt_target_dir / "static_index.html", target)
    night_page.refresh_index(settings)
    return target
