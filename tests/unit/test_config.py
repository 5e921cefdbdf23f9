import re
from pathlib import Path

import pytest
import yaml

from salesops.config import PROJECT_DIR, connection_parts, dbt_env, load_settings
from salesops.errors import ConfigError


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


def test_every_setting_is_read_in_config_only():
    """One owner per setting: no module but config.py reads a SALESOPS_* variable (a token handed from a
    process to its children is not a setting)."""
    reads = re.compile(r"""os\.(environ\.get|getenv)\(\s*["']SALESOPS_"""
                       r"""|os\.environ\[\s*["']SALESOPS_\w+["']\s*\](?!\s*=)""")
    readers = sorted(str(path.relative_to(PROJECT_DIR)) for folder in ("plugins", "dags")
                     for path in (PROJECT_DIR / folder).rglob("*.py")
                     if path.name != "config.py" and reads.search(path.read_text()))
    assert readers == []


def test_settings_are_checked_when_read(monkeypatch):
    """A wrong value is a one-line error naming the variable; 0 keeps its meaning where it has one."""
    monkeypatch.setenv("SALESOPS_RETENTION_DAYS", "0")
    monkeypatch.setenv("SALESOPS_NIGHT_DEADLINE_HOURS", "0")
    monkeypatch.setenv("SALESOPS_LANDING_DEFERRABLE", "No")  # the boolean words of the extracts
    settings = load_settings()
    assert (settings.retention_days, settings.night_deadline_hours, settings.landing_deferrable) == (0, 0.0, False)
    for name, value, expected in (("SALESOPS_DBT_TASKS", "per-model", "'model' or 'layer'"),
                                  ("SALESOPS_GX_WORKERS", "0", "1 or more"),
                                  ("SALESOPS_RETENTION_DAYS", "-1", "0 or more"),
                                  ("SALESOPS_NIGHT_DEADLINE_HOURS", "soon", "number of hours"),
                                  ("SALESOPS_NIGHT_DEADLINE_HOURS", "nan", "number of hours"),
                                  ("SALESOPS_PG_PORT", "abc", "1 or more"),
                                  ("SALESOPS_PG_PORT", "99999", "1 to 65535"),
                                  ("SALESOPS_WAREHOUSE_URL", "mysql://x", "postgresql://"),
                                  ("SALESOPS_LANDING_DEFERRABLE", "maybe", "true or false"),
                                  ("SALESOPS_DBT_MANIFEST", "/tmp/custom.json", "manifest.json")):
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            with pytest.raises(ConfigError, match=f"{name}.*{expected}|{expected}.*{name}"):
                load_settings()


def test_the_facts_python_shares_with_dbt_are_dbt_projects_vars():
    """Schema names, HR role groups and boolean words: defined in dbt_project.yml, read from there."""
    from salesops.config import BUILD_SCHEMA, FALSE_WORDS, PUBLISHED_SCHEMA, TRUE_WORDS, dbt_vars
    from salesops.contracts import QUOTA_CARRYING_ROLES, SALES_OPS_ROLES, SALES_ROLES

    project = yaml.safe_load((PROJECT_DIR / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    assert dbt_vars() == project
    assert (BUILD_SCHEMA, PUBLISHED_SCHEMA) == (project["build_schema"], project["published_schema"])
    assert (SALES_ROLES, SALES_OPS_ROLES, QUOTA_CARRYING_ROLES) == tuple(
        tuple(project[key]) for key in ("sales_roles", "sales_ops_roles", "quota_carrying_roles"))
    assert set(TRUE_WORDS) & set(FALSE_WORDS) == set() and "yes" in TRUE_WORDS and "0" in FALSE_WORDS


def test_the_retention_given_on_the_command_line_is_checked_too(capsys):
    """`salesops maintenance --retention-days -1` would put the cutoff tomorrow and prune every page."""
    from salesops import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["maintenance", "--retention-days", "-1"])
    assert exit_info.value.code == 2
    assert "expected a whole number of days, 0 or more, got '-1'" in capsys.readouterr().err
