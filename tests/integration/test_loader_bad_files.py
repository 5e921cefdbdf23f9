"""Files a reviewer would send on purpose: nothing of them is lost, each problem is named where it is.

Every case runs on both of the loader's paths where both can read the file (the fast Arrow path and the
precise row-by-row one), and the two must agree."""

from __future__ import annotations

import os
from datetime import date

import pytest

from salesops.contracts import entity
from salesops.errors import QualityGateError, SourceFileError
from salesops.ingest import arrow_checks
from salesops.ingest.loader import load_file, load_source
from salesops.ingest.row_checks import SizeLimits
from salesops.quality import quality_gate
from salesops.report import run_summary

from ..conftest import header

NIGHT = date(2026, 11, 20)
ACCOUNTS = entity("crm", "accounts")
OPPS = entity("crm", "opportunities")
ACCOUNTS_HEADER = header("crm", "accounts")
LIMITS = SizeLimits(field_bytes=256 << 10, row_bytes=1 << 20)


def account(n: int, name: str | None = None) -> str:
    return (f"A{n},{name or f'Company {n}'},Tech,SMB,DE,EMEA,1000,10,U1,"
            "2024-08-21T06:38:16Z,2024-08-21T06:38:16Z,false\n")


def rows(db, query: str, *params):
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


@pytest.fixture(params=["fast", "precise"])
def path_kind(request, monkeypatch) -> str:
    """Each file through the fast path and, with Arrow refusing every chunk, through the precise one."""
    if request.param == "precise":
        def refuse(*args, **kwargs):
            raise arrow_checks.ArrowCannotRead("forced: the precise path")

        monkeypatch.setattr(arrow_checks, "check_chunk", refuse)
    return request.param


def test_a_file_without_its_header_says_so_and_keeps_every_line(db, tmp_path):
    # the first line is data whose two timestamps are equal: once reported as a "duplicate column"
    path = tmp_path / "accounts.csv"
    path.write_text(account(1) + account(2) + account(3))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert result.status == "failed"
    assert "line 1 is not a header" in result.message and "is the header row missing?" in result.message
    assert "duplicate" not in result.message
    assert rows(db, "select _line_number, raw_record from raw.crm__accounts__rejected order by 1") == [
        (1, account(1).strip()), (2, account(2).strip()), (3, account(3).strip())]
    assert rows(db, "select status, rows_read, rows_loaded, rows_rejected, lines_read from meta.load_ledger") == [
        ("failed", 3, 0, 3, 3)]


def test_an_unclosed_quote_costs_its_own_line_only(db, tmp_path, path_kind):
    """Line 12 of 200 opens a quote it never closes: that line is quarantined, the 188 good rows after
    it load, and the ledger's lines cover the file (1 header + 200 records)."""
    lines = [account(n) for n in range(1, 201)]
    lines[11] = account(12, name='"Acme, broken')  # file line 13 (line 1 is the header)
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER + "".join(lines))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == ("loaded", 200, 199, 1)
    assert result.lines_read == 201
    [(line, reason)] = rows(db, "select _line_number, reason from raw.crm__accounts__rejected")
    assert line == 13 and "quoted field opened on this line is not closed" in reason
    assert rows(db, "select count(*), min(_line_number), max(_line_number) from raw.crm__accounts") == [(199, 2, 201)]
    assert rows(db, "select lines_read, rows_read, rows_loaded + rows_rejected from meta.load_ledger") == [
        (201, 200, 200)]


def test_a_quote_closed_lines_later_is_judged_line_by_line(db, tmp_path, path_kind):
    lines = [account(n) for n in range(1, 11)]
    lines[2] = account(3, name='"Acme')  # opens on line 4 in the name ...
    lines[5] = account(6).replace(",Tech,", ',Tech",')  # ... a stray quote in line 7's industry closes it
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER + "".join(lines))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.lines_read) == (10, 9, 1, 11)
    assert rows(db, "select _line_number from raw.crm__accounts__rejected") == [(4,)]
    assert rows(db, "select industry from raw.crm__accounts where _line_number = 7") == [('Tech"',)]


@pytest.mark.parametrize("column", ["_batch_id", "_line_number", "_source_file", "_loaded_at", "_anything"])
def test_a_file_cannot_set_the_loaders_lineage_columns(db, tmp_path, column):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER.replace("\n", f",{column}\n") + account(1).replace("\n", ",999\n"))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert result.status == "failed" and f"column(s) {column}: names starting with '_'" in result.message
    assert rows(db, "select status, rows_read, rows_rejected from meta.load_ledger") == [("failed", 2, 2)]
    assert rows(db, "select count(*) from raw.crm__accounts") == [(0,)]
    assert rows(db, "select count(*) from raw.crm__accounts__rejected where _line_number in (1, 2)") == [(2,)]


def test_a_field_or_row_over_its_size_limit_is_quarantined_with_its_size(db, tmp_path, path_kind, monkeypatch):
    """The limits are settings: a 10 MB field against the default 256 KiB, and a 120-byte row against a
    100-byte row limit set through the environment."""
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER + account(1) + account(2, name="x" * (10 << 20)) + account(3)
                    + account(4, name="y" * 60))
    monkeypatch.setenv("SALESOPS_MAX_ROW_BYTES", "100")
    result = load_file(db, ACCOUNTS, path, NIGHT)
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    rejected = rows(db, "select _line_number, column_name, reason, length(raw_record) from raw.crm__accounts__rejected"
                        " order by 1")
    assert rejected[0][:3] == (3, "account_name", "field is 10,485,760 bytes: longer than the limit of 262,144"
                                                  " (SALESOPS_MAX_FIELD_BYTES)")
    assert rejected[0][3] > 10 << 20  # kept whole: nothing lost
    assert rejected[1][:2] == (5, None) and rejected[1][2].startswith("row is ") and "limit of 100 " in rejected[1][2]


def test_spreadsheet_formulas_load_and_are_flagged_with_line_and_column(db, tmp_path, path_kind):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER + account(1) + account(2, name='"=HYPERLINK(""http://x.example"",""go"")"')
                    + account(3, name="@SUM(A1)") + account(4, name="-2+3") + account(5))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert (result.rows_loaded, result.rows_rejected, result.rows_flagged) == (5, 0, 3)
    assert "3 value(s) flagged in meta.load_flags, e.g. line 3, column account_name: starts with '='" in result.message
    assert rows(db, "select line_number, column_name from meta.load_flags order by 1") == [
        (3, "account_name"), (4, "account_name"), (5, "account_name")]


def test_files_no_contract_names_are_in_the_ledger_and_odd_folders_are_named(db, tmp_path, landing):
    night = landing / "crm" / NIGHT.isoformat()
    (night / "opportunities.csv").rename(night / "Opportunities (1).csv")
    (night / "a'b; drop table x.csv").write_text("x\n1\n")
    (landing / "crm" / "2026-11-20_fix").mkdir()
    with pytest.raises(Exception, match="opportunities: no file at"):
        load_source(db, landing, "crm", NIGHT)
    ignored = rows(db, "select entity, message from meta.load_ledger where status = 'ignored' order by 1")
    assert [name for name, _ in ignored] == ["Opportunities (1).csv", "a'b; drop table x.csv"]
    assert all("no contract for" in message for _, message in ignored)
    [(missing,)] = rows(db, "select message from meta.load_ledger where entity = 'opportunities'")
    assert "'Opportunities (1).csv'" in missing and "'2026-11-20_fix'" in missing


def test_a_file_the_warehouse_refuses_fails_with_its_ledger_row(db, tmp_path, monkeypatch):
    """An error from Postgres that is not the connection's (here a column Postgres cannot add) fails the
    file with a ledger row and every line in quarantine, instead of an unhandled crash."""
    with db.cursor() as cur:
        cur.execute("create schema if not exists raw")
    db.commit()
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER.replace("\n", ",\"ctid\"\n") + account(1).replace("\n", ",7\n"))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert result.status == "failed" and "the warehouse refused the file" in result.message
    assert rows(db, "select status, rows_read, rows_rejected from meta.load_ledger") == [("failed", 2, 2)]


def test_values_out_of_the_contracts_bounds_are_named_by_file_line_and_column(db, warehouse_server, landing):
    """A negative amount, a close before the creation, a probability of 150: loaded (they are numbers and
    times), and the raw gate's warnings say where they are."""
    opportunities = landing / "crm" / NIGHT.isoformat() / "opportunities.csv"
    good = opportunities.read_text().splitlines()
    bad = [good[1].replace(",60000,", ",-60000,"),  # line 2: a negative amount
           good[2].replace("2026-07-01T10:00:00Z", "2026-10-01T10:00:00Z"),  # line 3: closed before created
           good[3].split(",")]
    bad[2][8] = "150"  # line 4: a probability over 100
    bad[2] = ",".join(bad[2])
    opportunities.write_text("\n".join([good[0], *bad, *good[4:]]) + "\n")
    for source in ("crm", "hr"):
        load_source(db, landing, source, NIGHT)
    try:
        quality_gate.run_gate(warehouse_server, "raw", NIGHT, "bounds-run")
    except QualityGateError:
        pass  # a share above a threshold is critical; the lines are recorded either way
    found = rows(db, "select column_name, details from meta.dq_results where run_id = 'bounds-run' and not success"
                     " and suite = 'raw__crm__opportunities' order by 1")
    where = {column: (details["file"], details["lines"]) for column, details in found}
    assert where == {"amount": ("crm/2026-11-20/opportunities.csv", [2]),
                     "closed_at >= created_at": ("crm/2026-11-20/opportunities.csv", [3]),
                     "probability": ("crm/2026-11-20/opportunities.csv", [4])}
    text = run_summary.format_text(run_summary.summarize(warehouse_server, NIGHT, "bounds-run"))
    assert "[probability] (1 bad) at crm/2026-11-20/opportunities.csv line(s) 4" in text
    header = next(line for line in text.splitlines() if line.strip().startswith("file "))
    assert header.split() == ["file", "status", "read", "loaded", "rejected"]  # "loaded" once, as a column


def test_an_extract_with_no_ledger_row_tonight_stops_the_raw_gate(db, warehouse_server, landing):
    """A load whose commit was lost (a server crash) leaves neither rows nor a ledger row: the gate sees
    the ledger's silence instead of a balanced 0 = 0."""
    for source in ("crm", "hr"):
        load_source(db, landing, source, NIGHT)
    with db.cursor() as cur:
        cur.execute("delete from meta.load_ledger where entity = 'users'")
        cur.execute("alter table raw.crm__users detach partition raw.crm__users__p20261120")
    db.commit()
    with pytest.raises(QualityGateError, match="raw__ledger_balance: expect_column_values_to_not_be_null"):
        quality_gate.run_gate(warehouse_server, "raw", NIGHT, "lost-run")


def test_a_link_a_folder_or_a_pipe_in_place_of_an_extract_is_never_read(db, tmp_path, landing):
    """A symlink could pull any file the pipeline reads into quarantine and the night's page (the password file
    was one); a FIFO or a device would never end. Each fails with its ledger row, and nothing of it is read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("host:5432:*:postgres:hunter2\n")
    night = landing / "crm" / NIGHT.isoformat()
    (night / "users.csv").unlink()
    (night / "users.csv").symlink_to(secret)
    (night / "fx_rates.csv").unlink()
    (night / "fx_rates.csv").mkdir()
    (night / "accounts.csv").write_text("")
    (night / "accounts.csv").unlink()
    os.mkfifo(night / "accounts.csv")
    with pytest.raises(SourceFileError):  # users and fx_rates are required
        load_source(db, landing, "crm", NIGHT)
    ledger = dict(rows(db, "select entity, message from meta.load_ledger where status = 'failed'"))
    assert "is a symbolic link" in ledger["users"]
    assert "is not a regular file" in ledger["fx_rates"] and "is not a regular file" in ledger["accounts"]
    assert rows(db, "select count(*) from raw.crm__users__rejected") == [(0,)]
    assert rows(db, "select count(*) from meta.load_ledger where message like '%%hunter2%%'") == [(0,)]


def test_bare_cr_line_ends_fail_the_file_with_what_was_expected(db, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes((ACCOUNTS_HEADER + account(1) + account(2)).replace("\n", "\r").encode())
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert result.status == "failed" and "bare CR" in result.message and "expected LF or CRLF" in result.message
    # every CR-ended line kept in quarantine: the header and the two records
    assert rows(db, "select status, rows_read, rows_rejected from meta.load_ledger") == [("failed", 3, 3)]


def test_two_stray_quotes_that_make_a_record_of_the_right_width_still_cost_one_line(db, tmp_path, path_kind):
    """Line 501 opens a quote, line 502 closes it: as one record the two lines have the file's width, yet
    each of them reads as a whole record on its own. The first is quarantined, the second loads."""
    lines = [account(n) for n in range(1, 1001)]
    lines[499] = account(500, name='"Acme Sales')  # file line 501
    lines[500] = account(501, name='Ops Team"')  # file line 502
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER + "".join(lines))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1000, 999, 1)
    assert rows(db, "select _line_number from raw.crm__accounts__rejected") == [(501,)]
    assert rows(db, "select account_name from raw.crm__accounts where account_id = 'A501'") == [('Ops Team"',)]


@pytest.mark.parametrize(("value", "reason"), [
    ("\uff11\uff10\uff19\uff12\uff10\uff10", "expected a number"),  # fullwidth digits: Postgres cannot cast them
    ("1e999999", "expected a number below"),
    ("\ufeff1000", "a byte-order mark"),
])
def test_values_the_warehouse_cannot_cast_are_quarantined_not_loaded(db, tmp_path, path_kind, value, reason):
    """Once loaded, such a value stopped staging's cast every night after it (and leaked into the logs)."""
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER + account(1) + account(2).replace(",1000,10,", f",{value},10,") + account(3))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    [(line, column, why)] = rows(db, "select _line_number, column_name, reason from raw.crm__accounts__rejected")
    assert (line, column) == (3, "annual_revenue") and reason in why


def test_a_nul_byte_deep_in_a_file_costs_its_row_only(db, tmp_path, path_kind):
    """Past the first 64 KiB (read to tell text from binary), a NUL in one value: that row is quarantined with
    its line and column, the 2,000 others load (the warehouse refuses a NUL in text: it must not cost the file)."""
    lines = [account(n) for n in range(1, 2001)]
    lines[1500] = account(1501, name="Acme\x00Corp")
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_HEADER + "".join(lines))
    result = load_file(db, ACCOUNTS, path, NIGHT, limits=LIMITS)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1999, 1)
    assert rows(db, "select _line_number, column_name from raw.crm__accounts__rejected") == [(1502, "account_name")]
