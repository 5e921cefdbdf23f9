"""Shared fixtures: one embedded PostgreSQL server for the session, in its own SALESOPS_HOME.

The server listens on a free port chosen per session, so the suite never touches a developer's
own `.salesops/` warehouse and two checkouts can test side by side.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

from salesops import warehouse
from salesops.config import PROJECT_DIR, Settings, load_settings
from salesops.contracts import entity
from salesops.transform import dbt_tasks

SAMPLE_LANDING = PROJECT_DIR / "sample" / "landing"  # generated: `make sample`
HANDMADE_LANDING = Path(__file__).parent / "fixtures" / "handmade_landing"  # numbers checked by hand


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The whole Airflow nights first: under `make test` (two xdist workers, a file each) the longest file
    then runs beside all the others instead of starting last."""
    items.sort(key=lambda item: 0 if item.module.__name__.endswith("test_night_end_to_end") else 1)


def compose_file() -> dict:
    """docker-compose.yml, parsed (no Docker engine here: its structure is what the tests check)."""
    return yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def test_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("salesops_home")


@pytest.fixture(scope="session")
def settings(test_home: Path) -> Iterator[Settings]:
    """The session's settings; the environment is set so subprocesses (Airflow, CLI) inherit it."""
    saved = dict(os.environ)
    os.environ.pop("SALESOPS_WAREHOUSE_URL", None)
    os.environ["SALESOPS_HOME"] = str(test_home)
    os.environ["SALESOPS_PG_PORT"] = str(free_port())
    os.environ["SALESOPS_LANDING_DIR"] = str(HANDMADE_LANDING)
    # Whole nights render dbt as one Airflow task per layer: on tiny test data a task per model is mostly
    # fixed overhead, paid for every model every night. The tests that need the production rendering set "model".
    os.environ["SALESOPS_DBT_TASKS"] = "layer"
    # The hand-made nights have no contract extracts: the optional source's sensor gives up in 2 s, not 10.
    os.environ["SALESOPS_LANDING_TIMEOUT_SECONDS"] = "2"
    os.environ["SALESOPS_LANDING_POKE_SECONDS"] = "1"
    current = load_settings()
    dbt_tasks.build_manifest(current)  # Cosmos renders the DAG from it (make setup builds it too)
    yield current
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def warehouse_server(settings: Settings) -> Iterator[Settings]:
    warehouse.start(settings)
    yield settings
    warehouse.destroy(settings)


@pytest.fixture()
def db(warehouse_server: Settings) -> Iterator[psycopg2.extensions.connection]:
    """A connection to a freshly emptied warehouse database (each test starts clean)."""
    conn = warehouse.connect(warehouse_server)
    warehouse.drop_every_schema(conn)
    yield conn
    conn.close()


@pytest.fixture()
def landing(tmp_path: Path) -> Path:
    """A writable copy of the hand-made landing folder."""
    target = tmp_path / "landing"
    shutil.copytree(HANDMADE_LANDING, target)
    return target


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless Chromium for the report-page tests, installed here when missing (as in CI)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail("Chromium is missing and cannot be installed here: apt-get install chromium")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return shutil.which("chromium")


def rendered(chromium: str, page: Path, profile: Path) -> str:
    """The page's DOM after Chromium has loaded and rendered it (file:// URL, no network)."""
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    return result.stdout


def links(dom: str) -> list[str]:
    """The page's own links (not the internet's)."""
    return [h for h in re.findall(r'(?:href|src)="([^"#]+)"', dom) if not h.startswith(("http:", "https:"))]


def header(source: str, name: str) -> str:
    """An extract's header line as its contract names the columns (fixtures never restate them)."""
    return ",".join(entity(source, name).column_names) + "\n"
