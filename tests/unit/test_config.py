from pathlib import Path

import pytest

from salesops.config import connection_parts, dbt_env, load_settings


def test_connection_parts_split_a_url_with_escaped_password():
    parts = connection_parts("postgresql://bi%40corp:p%3Ass@db.internal:6543/wh")
    assert parts == {"host": "db.internal", "port": "6543", "user": "bi@corp", "password": "p:ss", "dbname": "wh"}


def test_connection_parts_reject_other_schemes():
    with pytest.raises(ValueError, match="postgresql://"):
        connection_parts("mysql://x@y/z")


def test_settings_default_to_embedded_under_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SALESOPS_WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("SALESOPS_PG_PORT", "55555")
    settings = load_settings()
    assert settings.uses_embedded_warehouse
    # the password stays in the owner-only password file the URL names
    assert settings.warehouse_url == (f"postgresql://postgres@127.0.0.1:55555/salesops"
                                      f"?passfile={tmp_path / 'h' / 'secrets' / 'pgpass'}")
    assert dbt_env(settings)["PGPASSFILE"] == str(tmp_path / "h" / "secrets" / "pgpass")
    assert dbt_env(settings)["SALESOPS_DB_PASSWORD"] == ""
    assert settings.pgdata == tmp_path / "h" / "pgdata"
    assert settings.airflow_home == tmp_path / "h" / "airflow"
    assert settings.reports_dir == tmp_path / "h" / "reports"


def test_two_homes_do_not_share_state(monkeypatch, tmp_path):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("SALESOPS_PG_PORT", "55001")
    first = load_settings()
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "b"))
    monkeypatch.setenv("SALESOPS_PG_PORT", "55002")
    second = load_settings()
    assert {first.pgdata, first.airflow_home}.isdisjoint({second.pgdata, second.airflow_home})
    assert first.warehouse_url != second.warehouse_url


def test_external_url_wins_and_feeds_dbt(monkeypatch):
    monkeypatch.setenv("SALESOPS_WAREHOUSE_URL", "postgresql://etl:secret@pg.example:5433/sales")
    settings = load_settings()
    assert not settings.uses_embedded_warehouse
    assert dbt_env(settings)["SALESOPS_DB_HOST"] == "pg.example"
    assert dbt_env(settings)["SALESOPS_DB_PASSWORD"] == "secret"
    assert "PGPASSFILE" not in dbt_env(settings)


def test_dbt_profile_reads_only_the_environment():
    profile = (Path(__file__).parents[2] / "dbt_project" / "profiles.yml").read_text()
    for key in ("host", "port", "user", "password", "dbname"):
        line = next(line for line in profile.splitlines() if line.strip().startswith(f"{key}:"))
        assert "env_var(" in line, line
