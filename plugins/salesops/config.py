"""All settings in one place, read from the environment.

Every piece of local state lives under SALESOPS_HOME so that two checkouts (or two
homes with different ports) can run side by side without touching each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from salesops.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
# plugins/salesops -> repository root; the Docker image overrides with SALESOPS_PROJECT_DIR.
PROJECT_DIR = Path(os.environ.get("SALESOPS_PROJECT_DIR", PACKAGE_DIR.parent.parent)).resolve()

DEFAULT_PG_PORT = 54329
DEFAULT_DATABASE = "salesops"


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    home: Path
    pg_port: int
    external_warehouse_url: str | None
    landing_dir: Path
    on_failure_webhook: str | None
    # a landing field or row longer than this is quarantined with its size (SALESOPS_MAX_FIELD_BYTES/_ROW_BYTES)
    max_field_bytes: int = 256 << 10
    max_row_bytes: int = 1 << 20

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def airflow_home(self) -> Path:
        override = os.environ.get("SALESOPS_AIRFLOW_HOME")
        return Path(override).resolve() if override else self.home / "airflow"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_dir / "dbt_project"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt_target"

    @property
    def dags_dir(self) -> Path:
        return self.project_dir / "dags"

    @property
    def gx_root(self) -> Path:
        return self.project_dir / "expectations"

    @property
    def gx_workers(self) -> int:
        """Processes a quality gate validates its suites in (SALESOPS_GX_WORKERS; default the cores, up to 4)."""
        return max(1, int(os.environ.get("SALESOPS_GX_WORKERS") or min(4, os.cpu_count() or 1)))

    @property
    def uses_embedded_warehouse(self) -> bool:
        return self.external_warehouse_url is None

    @property
    def passfile(self) -> Path:
        """The embedded warehouse's generated passwords, readable by their owner only (salesops.credentials)."""
        return self.home / "secrets" / "pgpass"

    def embedded_url(self, user: str = "postgres", database: str = DEFAULT_DATABASE) -> str:
        """A login to the embedded server whose password libpq reads from the password file, never from the URL."""
        return (f"postgresql://{quote(user, safe='')}@127.0.0.1:{self.pg_port}/{database}"
                f"?passfile={quote(str(self.passfile), safe='/')}")

    @property
    def warehouse_url(self) -> str:
        if self.external_warehouse_url:
            return self.external_warehouse_url
        return self.embedded_url()


def load_settings() -> Settings:
    """Read the environment now (not at import) so tests can change it per run."""
    home = Path(os.environ.get("SALESOPS_HOME", PROJECT_DIR / ".salesops")).expanduser().resolve()
    landing = os.environ.get("SALESOPS_LANDING_DIR", str(PROJECT_DIR / "sample" / "landing"))
    return Settings(
        project_dir=PROJECT_DIR,
        home=home,
        pg_port=int(os.environ.get("SALESOPS_PG_PORT", DEFAULT_PG_PORT)),
        external_warehouse_url=os.environ.get("SALESOPS_WAREHOUSE_URL") or None,
        landing_dir=Path(landing).expanduser().resolve(),
        on_failure_webhook=os.environ.get("SALESOPS_ALERT_WEBHOOK_URL") or None,
        max_field_bytes=_positive_int("SALESOPS_MAX_FIELD_BYTES", Settings.max_field_bytes),
        max_row_bytes=_positive_int("SALESOPS_MAX_ROW_BYTES", Settings.max_row_bytes),
    )


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name) or str(default)
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{name} must be a whole number above 0, got {text!r}")
    return value


def connection_parts(url: str) -> dict[str, str]:
    """Split a postgresql:// URL into the pieces dbt's profile reads from env vars."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
        raise ValueError(f"warehouse URL must start with postgresql://, got {parts.scheme}://")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": (parts.path or "/postgres").lstrip("/") or "postgres",
    }


def passfile_of(url: str) -> str | None:
    """The libpq password file a URL names (`?passfile=`), if any."""
    return (parse_qs(urlsplit(url).query).get("passfile") or [None])[0]


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables that dbt_project/profiles.yml reads (no credentials in files). The embedded
    warehouse's password stays in its password file: libpq finds it through PGPASSFILE."""
    conn = connection_parts(settings.warehouse_url)
    env = {
        "SALESOPS_DB_HOST": conn["host"],
        "SALESOPS_DB_PORT": conn["port"],
        "SALESOPS_DB_USER": conn["user"],
        "SALESOPS_DB_PASSWORD": conn["password"],
        "SALESOPS_DB_NAME": conn["dbname"],
    }
    if passfile := passfile_of(settings.warehouse_url):
        env["PGPASSFILE"] = passfile
    return env
