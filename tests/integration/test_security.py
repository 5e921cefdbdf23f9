"""Nobody in who should not be: every login needs its password, the password never shows, `show` cannot
write, and what BI and analysts see carries no personal value and no markup that would run."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import psutil
import psycopg2
import pytest

from salesops import credentials, warehouse
from salesops.config import load_settings
from salesops.errors import QualityGateError
from salesops.ingest.loader import load_source
from salesops.publish import access
from salesops.quality import quality_gate
from salesops.report import night_page

from ..conftest import HANDMADE_LANDING, free_port, header, rendered

NIGHT = date(2026, 11, 20)
CLI = Path(sys.executable).parent / "salesops"


def without_passfile(url: str) -> str:
    return url.split("?", 1)[0]


def refused(url: str) -> str:
    with pytest.raises(psycopg2.OperationalError) as caught:
        psycopg2.connect(url, connect_timeout=5).close()
    return str(caught.value)


def test_every_login_needs_its_password(warehouse_server):
    access.create_bi_reader(warehouse_server)
    superuser = without_passfile(warehouse_server.warehouse_url)
    assert "no password supplied" in refused(superuser)
    assert "password authentication failed" in refused(superuser.replace("postgres@", "postgres:wrong@"))
    bi = without_passfile(access.bi_url(warehouse_server))
    assert "password authentication failed" in refused(bi.replace("bi_reader@", "bi_reader:wrong@"))
    for url in (warehouse_server.warehouse_url, access.bi_url(warehouse_server)):  # the password file's logins
        psycopg2.connect(url).close()
    hba = (warehouse_server.pgdata / "pg_hba.conf").read_text()
    assert "trust" not in hba and "scram-sha-256" in hba


def test_the_password_file_is_its_owners_alone_and_no_process_shows_a_password(warehouse_server):
    passfile = warehouse_server.passfile
    assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
    assert stat.S_IMODE(passfile.parent.stat().st_mode) == 0o700
    secret = credentials.password(passfile, credentials.SUPERUSER)
    assert secret and len(secret) >= 32
    printed = subprocess.run([str(CLI), "db", "url"], capture_output=True, text=True, check=True).stdout
    printed += subprocess.run([str(CLI), "db", "env"], capture_output=True, text=True, check=True).stdout
    assert secret not in printed and "passfile=" in printed
    for process in psutil.process_iter(["cmdline"]):
        assert secret not in " ".join(process.info["cmdline"] or [])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another local user")
def test_another_local_user_cannot_log_in_and_the_server_holds_no_privileged_group(warehouse_server):
    nobody = pwd.getpwnam("nobody")
    psql = warehouse.bin_dir() / "psql"  # the server's own client, which its account can reach
    for url in (warehouse_server.warehouse_url, without_passfile(warehouse_server.warehouse_url)):
        attempt = subprocess.run([str(psql), "--no-password", "--command", "select 1", url], user=nobody.pw_uid,
                                 group=nobody.pw_gid, extra_groups=[], capture_output=True, text=True, check=False,
                                 cwd="/")
        assert attempt.returncode == 2 and "no password supplied" in attempt.stderr, attempt.stderr
    pid = warehouse.status(warehouse_server).pid
    server = psutil.Process(pid)
    assert server.gids().real != 0 and server.gids().effective != 0
    groups = Path(f"/proc/{pid}/status").read_text().split("Groups:")[1].splitlines()[0].split()
    assert "0" not in groups


def test_a_warehouse_from_before_passwords_gets_them_at_its_next_start(warehouse_server, tmp_path, monkeypatch):
    """A data directory that trusted every local login (as this project's used to) is secured at start."""
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / "old"))
    monkeypatch.setenv("SALESOPS_PG_PORT", str(free_port()))
    old = load_settings()
    warehouse.start(old)
    try:
        warehouse.stop(old)
        (old.pgdata / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        old.passfile.unlink()  # as a home from before had none
        warehouse.start(old)
        assert "trust" not in (old.pgdata / "pg_hba.conf").read_text()
        assert "no password supplied" in refused(without_passfile(old.warehouse_url))
        psycopg2.connect(old.warehouse_url).close()
    finally:
        warehouse.destroy(old)


def salesops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, check=False)


def test_show_reads_as_bi_does_and_nothing_it_is_given_can_write(db, warehouse_server):
    with db.cursor() as cur:
        cur.execute("create schema marts; create table marts.kpi_x (k int); insert into marts.kpi_x values (1), (2)")
        cur.execute("create schema raw; create table raw.secret (v text); insert into raw.secret values ('pay')")
        cur.execute("create sequence public.counter")
    db.commit()
    access.create_bi_reader(warehouse_server)

    shown = salesops("show", "kpi_x", "--where", "k > 1")
    assert shown.returncode == 0 and shown.stdout.splitlines()[-1].strip() == "2", shown.stderr
    stacked = salesops("show", "kpi_x", "--where", "true; create table public.x (a int)")
    assert stacked.returncode == 2 and "';' is not allowed" in stacked.stderr
    other_schema = salesops("show", "secret", "--schema", "raw")
    assert other_schema.returncode == 2 and "bi_reader may not read raw.secret" in other_schema.stderr
    assert "Traceback" not in other_schema.stderr
    engineer = salesops("show", "secret", "--schema", "raw", "--engineer")
    assert engineer.returncode == 0 and "pay" in engineer.stdout
    # a write hidden in an expression: refused (a read-only transaction, as a login that may only read)
    writes = salesops("show", "secret", "--schema", "raw", "--engineer", "--where", "nextval('public.counter') > 0")
    assert writes.returncode == 2 and ("read-only transaction" in writes.stderr or "permission denied" in writes.stderr)
    # the engineers' login holds no superuser power a function call could use
    for call in ("pg_reload_conf()", "pg_create_physical_replication_slot('x', true) is not null",
                 "pg_read_file('pg_hba.conf') is not null", "pg_advisory_lock(hashtext('salesops.night')) is null"):
        power = salesops("show", "secret", "--schema", "raw", "--engineer", "--where", call)
        assert power.returncode == 2 and "permission denied" in power.stderr, (call, power.stderr)
    # nor may BI take the locks the pipeline runs under (it would stall every night)
    locks = salesops("show", "kpi_x", "--where", "pg_advisory_lock(hashtext('salesops.night')) is null")
    assert locks.returncode == 2 and "permission denied for function pg_advisory_lock" in locks.stderr
    bad_column = salesops("show", "kpi_x", "--where", "nope = 1")
    assert bad_column.returncode == 2 and 'column "nope" does not exist' in bad_column.stderr
    assert len(bad_column.stderr.strip().splitlines()) == 1
    with db.cursor() as cur:
        cur.execute("select to_regclass('public.x'), (select last_value from public.counter),"
                    " (select is_called from public.counter)")
        assert cur.fetchone() == (None, 1, False)


# A row of pay and private contact with values the raw suite rejects: a negative salary, a negative commission.
EMPLOYEES = (header("hr", "employees")
             + "E1,Ann Lee,ann@corp.example,ann.private@mail.example,AE,AE,Sales,,2025-01-06,,Berlin,-190800,EUR,"
             "2026-11-19T08:00:00Z\n"
             "E2,Bo Ek,bo@corp.example,bo@mail.example,AE,AE,Sales,,2025-02-03,,Berlin,12k,EUR,"
             "2026-11-19T08:00:00Z\n")
PLANS = (header("hr", "compensation_plans")
         + "E1,2026,40000,-0.0731,1.0,1.5\n")


def test_personal_values_never_reach_what_bi_or_the_report_shows(db, warehouse_server, tmp_path):
    landing = tmp_path / "landing"
    hr = landing / "hr" / NIGHT.isoformat()
    hr.mkdir(parents=True)
    (hr / "employees.csv").write_text(EMPLOYEES)
    (hr / "compensation_plans.csv").write_text(PLANS)
    (hr / "quotas.csv").write_text((HANDMADE_LANDING / "hr" / NIGHT.isoformat() / "quotas.csv").read_text())
    load_source(db, landing, "hr", NIGHT)
    access.create_bi_reader(warehouse_server)
    try:
        quality_gate.run_gate(warehouse_server, "raw", NIGHT, "personal-run")
    except QualityGateError as exc:
        assert "190800" not in str(exc) and "0731" not in str(exc)

    bi = psycopg2.connect(access.bi_url(warehouse_server))
    with bi, bi.cursor() as cur:
        cur.execute("select column_name, sample_bad_values from meta.dq_results where suite in"
                    " ('raw__hr__employees', 'raw__hr__compensation_plans') and not success")
        failed = dict(cur.fetchall())
        assert failed["base_salary"] == ["[redacted: personal data]"]
        assert failed["commission_rate"] == ["[redacted: personal data]"]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("select * from meta.dq_samples_restricted")
    bi.close()
    with db.cursor() as cur:  # engineers keep the real values: the quarantined record, the restricted samples
        cur.execute("select reason, raw_record from raw.hr__employees__rejected")
        [(reason, record)] = cur.fetchall()
        assert "12k" in record and "12k" not in reason and reason.endswith("(personal data)")
        cur.execute("select column_name, sample_bad_values from meta.dq_samples_restricted order by 1")
        assert cur.fetchall() == [("base_salary", ["-190800"]), ("commission_rate", ["-0.0731"])]

    docs = warehouse_server.reports_dir / "data_docs"
    pages = [p.read_text() for p in docs.rglob("*.html")] + [p.read_text() for p in
                                                            (warehouse_server.home / "gx_results").rglob("*.json")]
    page = night_page.write_night_report(warehouse_server, NIGHT, "personal-run").read_text()
    for text in [*pages, page]:
        for value in ("190800", "0731", "12k", "ann.private"):
            assert value not in text
    assert "[redacted: personal data]" in page  # the quarantined 12k says why, without the value


# Values that would change the page if a browser ran them: the title, and an attribute on <body>.
SCRIPT = "<script>document.title='XSS-1'</script>"
IMAGE = "<img src=x onerror=\"document.body.setAttribute('data-xss','3')\">"


def test_a_value_from_a_landing_file_cannot_run_in_an_analysts_browser(db, warehouse_server, tmp_path, chromium):
    landing = tmp_path / "landing"
    crm = landing / "crm" / NIGHT.isoformat()
    crm.mkdir(parents=True)
    for name in ("users", "fx_rates"):
        (crm / f"{name}.csv").write_text((HANDMADE_LANDING / "crm" / NIGHT.isoformat() / f"{name}.csv").read_text())
    quoted = SCRIPT.replace('"', '""'), IMAGE.replace('"', '""')
    (crm / "opportunities.csv").write_text(
        header("crm", "opportunities")
        + f'O1,A1,U1,Deal,new_business,"{quoted[0]}",10,USD,10,pipeline,2026-11-01T00:00:00Z,2026-12-01,,,,'
        "2026-11-19T00:00:00Z,false\n")
    (crm / "accounts.csv").write_text(
        header("crm", "accounts")
        + f'A1,Acme,Tech,"{quoted[1]}",DE,EMEA,10,5,U1,2026-01-01T00:00:00Z,2026-11-19T00:00:00Z,false\n')
    load_source(db, landing, "crm", NIGHT)
    with pytest.raises(QualityGateError):
        quality_gate.run_gate(warehouse_server, "raw", NIGHT, "xss-run")

    docs = warehouse_server.reports_dir / "data_docs" / "validations"
    for suite in ("raw__crm__opportunities", "raw__crm__accounts"):
        page = next((docs / suite / "xss-run").rglob("*.html"))
        dom = rendered(chromium, page, tmp_path / "profile")
        assert "XSS-1" not in dom.split("</title>")[0]
        assert 'data-xss="3"' not in dom
        assert "&lt;" in page.read_text()  # the value is on the page, as text
        assert "document.title='XSS-1'" in dom or "data-xss" in dom  # shown, escaped
    page_path = night_page.write_night_report(warehouse_server, NIGHT, "xss-run")
    dom = rendered(chromium, page_path, tmp_path / "profile")
    assert "XSS-1" not in dom.split("</title>")[0] and 'data-xss="3"' not in dom


def test_control_characters_from_a_file_name_reach_the_terminal_as_escapes(db, warehouse_server, tmp_path):
    """A landing file named with an escape sequence (retitle the terminal, clear it, print a fake verdict)
    is listed as ignored; the CLI prints it with its control characters escaped."""
    from salesops.ingest import loader

    folder = tmp_path / "landing" / "crm" / NIGHT.isoformat()
    folder.mkdir(parents=True)
    (folder / "x\x1b]0;PWNED\x07\x1b[2J\x1b[31mFAKE: all checks passed\x1b[0m.csv").write_text("a\n1\n")
    loader.record_ignored_files(db, tmp_path / "landing", "crm", NIGHT)
    shown = salesops("report", "--date", NIGHT.isoformat())
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "x\\x1b]0;PWNED\\x07" in shown.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another local user")
def test_salesops_home_is_its_owners_alone(warehouse_server):
    """Reports, logs and Airflow's metadata under SALESOPS_HOME (even a folder made before this rule) are out of
    another local user's reach; the server's account may still pass through to its data."""
    reports = warehouse_server.reports_dir
    reports.mkdir(exist_ok=True)
    reports.chmod(0o755)
    (reports / "night.html").write_text("a night's page")
    (reports / "night.html").chmod(0o644)
    assert salesops("db", "status").returncode == 0
    assert stat.S_IMODE(warehouse_server.home.stat().st_mode) == 0o711
    assert stat.S_IMODE(reports.stat().st_mode) == 0o700
    nobody = pwd.getpwnam("nobody")
    for target in (reports / "night.html", warehouse_server.home):
        peek = subprocess.run(["ls", str(target)] if target.is_dir() else ["cat", str(target)], user=nobody.pw_uid,
                              group=nobody.pw_gid, extra_groups=[], capture_output=True, text=True, check=False)
        assert peek.returncode != 0 and "Permission denied" in peek.stderr, (target, peek.stdout)
