"""All settings in one place: every SALESOPS_* variable is read here and nowhere else, and the facts
Python shares with dbt (schema names, HR role groups, boolean words) are read from dbt_project.yml's vars.

Every piece of local state lives under SALESOPS_HOME so that two checkouts (or two
homes with different ports) can run side by side without touching each other.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from salesops.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
# plugins/salesops -> repository root; the Docker image overrides with SALESOPS_PROJECT_DIR.
PROJECT_DIR = Path(os.environ.get("SALESOPS_PROJECT_DIR", PACKAGE_DIR.parent.parent)).resolve()

DEFAULT_PG_PORT = 54329
DEFAULT_DATABASE = "salesops"
# Handed by a CLI run that holds the night lock to the Airflow tasks it starts (not a setting).
NIGHT_LOCK_TOKEN_VARIABLE = "SALESOPS_NIGHT_LOCK_TOKEN"  # noqa: S105 - a variable's name, not a secret


@cache
def dbt_vars() -> dict:
    """dbt_project.yml's vars: the one definition of what the models and the Python code both use."""
    import yaml

    return yaml.safe_load((PROJECT_DIR / "dbt_project" / "dbt_project.yml").read_text())["vars"]


# Schemas of write-audit-publish: tonight's marts are built into BUILD_SCHEMA, swapped into
# PUBLISHED_SCHEMA, and the night before stays in PREVIOUS_SCHEMA for a rollback.
BUILD_SCHEMA: str = dbt_vars()["build_schema"]
PUBLISHED_SCHEMA: str = dbt_vars()["published_schema"]
PREVIOUS_SCHEMA = f"{PUBLISHED_SCHEMA}_previous"
# What a boolean field of an extract (and a yes/no setting) may hold, in any case; empty is null.
TRUE_WORDS: tuple[str, ...] = tuple(dbt_vars()["true_words"])
FALSE_WORDS: tuple[str, ...] = tuple(dbt_vars()["false_words"])


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
    airflow_home_override: Path | None = None  # SALESOPS_AIRFLOW_HOME
    bi_password: str | None = None  # SALESOPS_BI_PASSWORD; unset: generated (embedded warehouse)
    gx_workers: int = 1  # SALESOPS_GX_WORKERS: processes a quality gate validates its suites in
    dbt_tasks: str = "model"  # SALESOPS_DBT_TASKS: a Cosmos task per dbt `model`, or per `layer`
    dbt_manifest_override: Path | None = None  # SALESOPS_DBT_MANIFEST
    retention_days: int = 400  # SALESOPS_RETENTION_DAYS
    retry_delay_seconds: int = 120  # SALESOPS_RETRY_DELAY_SECONDS: a task's first retry delay
    landing_deferrable: bool = True  # SALESOPS_LANDING_DEFERRABLE: sensors wait on the triggerer
    landing_poke_seconds: int = 300  # SALESOPS_LANDING_POKE_SECONDS
    landing_timeout_seconds: int = 6 * 3600  # SALESOPS_LANDING_TIMEOUT_SECONDS
    night_deadline_hours: float = 8.0  # SALESOPS_NIGHT_DEADLINE_HOURS (0: no deadline alert)

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.airflow_home_override or self.home / "airflow"

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
    def dbt_manifest(self) -> Path:
        """The manifest Cosmos renders the dbt tasks from."""
        return self.dbt_manifest_override or self.dbt_project_dir / "target" / "manifest.json"

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
    dbt_tasks = os.environ.get("SALESOPS_DBT_TASKS") or Settings.dbt_tasks
    if dbt_tasks not in ("model", "layer"):
        raise ConfigError(f"SALESOPS_DBT_TASKS must be 'model' or 'layer', got {dbt_tasks!r}")
    return Settings(
        project_dir=PROJECT_DIR,
        home=home,
        pg_port=_port("SALESOPS_PG_PORT", DEFAULT_PG_PORT),
        external_warehouse_url=_warehouse_url("SALESOPS_WAREHOUSE_URL"),
        landing_dir=Path(landing).expanduser().resolve(),
        on_failure_webhook=os.environ.get("SALESOPS_ALERT_WEBHOOK_URL") or None,
        max_field_bytes=_positive_int("SALESOPS_MAX_FIELD_BYTES", Settings.max_field_bytes),
        max_row_bytes=_positive_int("SALESOPS_MAX_ROW_BYTES", Settings.max_row_bytes),
        airflow_home_override=_path("SALESOPS_AIRFLOW_HOME"),
        bi_password=os.environ.get("SALESOPS_BI_PASSWORD") or None,
        gx_workers=_positive_int("SALESOPS_GX_WORKERS", min(4, os.cpu_count() or 1)),
        dbt_tasks=dbt_tasks,
        dbt_manifest_override=_manifest_path("SALESOPS_DBT_MANIFEST"),
        retention_days=_positive_int("SALESOPS_RETENTION_DAYS", Settings.retention_days, minimum=0),
        retry_delay_seconds=_positive_int("SALESOPS_RETRY_DELAY_SECONDS", Settings.retry_delay_seconds),
        landing_deferrable=_boolean("SALESOPS_LANDING_DEFERRABLE", Settings.landing_deferrable),
        landing_poke_seconds=_positive_int("SALESOPS_LANDING_POKE_SECONDS", Settings.landing_poke_seconds),
        landing_timeout_seconds=_positive_int("SALESOPS_LANDING_TIMEOUT_SECONDS", Settings.landing_timeout_seconds),
        night_deadline_hours=_hours("SALESOPS_NIGHT_DEADLINE_HOURS", Settings.night_deadline_hours),
    )


def night_lock_token() -> str | None:
    """The night lock's token when this process runs for a CLI run that holds it."""
    return os.environ.get(NIGHT_LOCK_TOKEN_VARIABLE) or None


def _port(name: str, default: int) -> int:
    value = _positive_int(name, default)
    if value > 65535:
        raise ConfigError(f"{name} must be a TCP port (1 to 65535), got {value}")
    return value


def _warehouse_url(name: str) -> str | None:
    url = os.environ.get(name) or None
    if url is not None:
        try:
            connection_parts(url)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    return url


def _boolean(name: str, default: bool) -> bool:
    """A yes/no setting, in the words a boolean field of an extract may hold (dbt_project.yml's vars)."""
    text = os.environ.get(name)
    if not text:
        return default
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false, got {text!r}")


def _manifest_path(name: str) -> Path | None:
    """dbt writes its manifest as <target>/manifest.json: another file name would never be written."""
    path = _path(name)
    if path is not None and path.name != "manifest.json":
        raise ConfigError(f"{name} must name a file called manifest.json (dbt's name for it), got {str(path)!r}")
    return path


def _path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else None


def _hours(name: str, default: float) -> float:
    text = os.environ.get(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a number of hours, 0 or more, got {text!r}")
    return value


def _positive_int(name: str, default: int, minimum: int = 1) -> int:
    text = os.environ.get(name) or str(default)
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(f"{name} must be a whole number of {minimum} or more, got {text!r}")
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
