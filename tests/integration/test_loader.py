"""The loader against the embedded server: quarantine, ledger invariant, idempotent reloads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from salesops.contracts import entity
from salesops.errors import SourceFileError
from salesops.ingest.loader import load_file, load_source, source_label

NIGHT = date(2026, 11, 20)
USERS = entity("crm", "users")
OPPS = entity("crm", "opportunities")
USERS_HEADER = "user_id,email,full_name,is_active,updated_at\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def rows(db, query: str, *params):
    with db.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def test_sample_night_loads_and_the_ledger_balances(db, landing):
    results = load_source(db, landing, "crm", NIGHT) + load_source(db, landing, "hr", NIGHT)
    loaded = {r.entity: r for r in results if r.status == "loaded"}
    assert loaded["opportunities"].rows_loaded == 11
    assert loaded["users"].rows_loaded == 5
    assert rows(db, "select count(*) from raw.crm__opportunities where _batch_id = %s", NIGHT.isoformat())[0][0] == 11
    unbalanced = rows(db, "select entity from meta.load_ledger where rows_read <> rows_loaded + rows_rejected")
    assert unbalanced == []


def test_bad_rows_are_quarantined_with_line_column_and_reason(db, tmp_path):
    path = write(
        tmp_path / "crm" / "2026-11-20" / "users.csv",
        USERS_HEADER
        + (
            "U1,a@x.example,Ann,true,2026-11-19T08:00:00Z\n"
            "U2,b@x.example,Bob,true\n"  # line 3: one field short
            ",c@x.example,Cy,true,2026-11-19T08:00:00Z\n"  # line 4: missing primary key
            "U4,d@x.example,Di,maybe,2026-11-19T08:00:00Z\n"  # line 5: not a boolean
            "U5,e@x.example,Ed,true,not-a-time\n"  # line 6: bad timestamp
            "U6,f@x.example,Flo,true,2026-11-19T08:00:00Z\n"
        ),
    )
    result = load_file(db, USERS, path, NIGHT)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 2, 4)
    rejected = rows(db, "select _line_number, column_name, reason from raw.crm__users__rejected order by 1")
    assert rejected == [
        (3, None, "wrong number of fields: expected 5, got 4"),
        (4, "user_id", "expected a value, got an empty field"),
        (5, "is_active", "expected true or false, got 'maybe'"),
        (6, "updated_at", "expected an ISO-8601 timestamp, got 'not-a-time'"),
    ]
    assert rows(db, "select user_id from raw.crm__users order by 1") == [("U1",), ("U6",)]


def test_invalid_utf8_is_quarantined_and_kept_readable(db, tmp_path):
    path = write(tmp_path / "users.csv", USERS_HEADER.encode() + b"U1,a@x.example,Ren\xe9,true,2026-11-19T08:00:00Z\n")
    result = load_file(db, USERS, path, NIGHT)
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    assert rows(db, "select reason, raw_record from raw.crm__users__rejected") == [
        ("invalid UTF-8 byte sequence: expected UTF-8 text", "U1,a@x.example,Ren\\xe9,true,2026-11-19T08:00:00Z")
    ]


def test_bom_crlf_and_quoted_newlines_are_fine(db, tmp_path):
    text = (
        "\ufeff" + USERS_HEADER.replace("\n", "\r\n") + 'U1,a@x.example,"Ann\r\nLine two",true,2026-11-19T08:00:00Z\r\n'
    )
    result = load_file(db, USERS, write(tmp_path / "users.csv", text.encode()), NIGHT)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    assert rows(db, "select full_name, _line_number from raw.crm__users") == [("Ann\r\nLine two", 2)]


def test_reloading_a_night_replaces_the_batch_and_an_unchanged_file_is_skipped(db, landing):
    path = landing / "crm" / "2026-11-20" / "opportunities.csv"
    first = load_file(db, OPPS, path, NIGHT)
    again = load_file(db, OPPS, path, NIGHT)
    assert (first.status, again.status) == ("loaded", "skipped_unchanged")
    forced = load_file(db, OPPS, path, NIGHT, force=True)
    assert forced.rows_loaded == 11
    with path.open("a") as handle:  # a corrected re-delivery of the same night
        handle.write(
            "O99,A1,U1,Late deal,new_business,prospecting,100,USD,10,pipeline,"
            "2026-11-19T10:00:00Z,2026-12-01,,,,2026-11-19T10:00:00Z,false\n"
        )
    redelivered = load_file(db, OPPS, path, NIGHT)
    assert redelivered.rows_loaded == 12
    assert rows(db, "select count(*), count(distinct opportunity_id) from raw.crm__opportunities") == [(12, 12)]
    assert rows(db, "select count(*) from meta.load_ledger where entity = 'opportunities'") == [(1,)]


def test_missing_required_column_fails_the_file_naming_the_column_and_keeps_its_rows(db, tmp_path):
    path = write(
        tmp_path / "users.csv", "user_id,mail,full_name,is_active,updated_at\nU1,a@x,Ann,true,2026-11-19T08:00:00Z\n"
    )
    result = load_file(db, USERS, path, NIGHT)
    assert result.status == "failed"
    assert "missing required column(s) email" in result.message
    assert "unexpected column(s) mail (renamed header?)" in result.message
    # every line is kept, the header included: nothing of a failed file is lost
    assert (result.rows_read, result.rows_rejected, result.lines_read) == (2, 2, 2)
    assert rows(db, "select status, rows_read, rows_rejected from meta.load_ledger") == [("failed", 2, 2)]


def test_extra_column_is_kept_and_missing_optional_column_loads_as_null(db, tmp_path):
    header = (
        "opportunity_id,account_id,owner_user_id,opportunity_name,type,stage,amount,currency,probability,"
        "forecast_category,created_at,close_date,closed_at,lead_id,loss_reason,updated_at,partner_id\n"
    )
    line = (
        "O1,A1,U1,Deal,new_business,proposal,10,USD,60,pipeline,2026-11-01T00:00:00Z,2026-12-01,,,,"
        "2026-11-19T00:00:00Z,P7\n"
    )
    result = load_file(db, OPPS, write(tmp_path / "opportunities.csv", header + line), NIGHT)
    assert result.status == "loaded" and result.extra_columns == ["partner_id"]
    assert rows(db, "select partner_id, is_deleted from raw.crm__opportunities") == [("P7", None)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV text file"),
    ],
)
def test_unusable_files_fail_with_a_clear_message(db, tmp_path, content, message):
    result = load_file(db, USERS, write(tmp_path / "users.csv", content), NIGHT)
    assert result.status == "failed" and message in result.message


def test_a_missing_required_file_stops_the_source_but_is_in_the_ledger(db, landing):
    (landing / "hr" / "2026-11-20" / "quotas.csv").unlink()
    with pytest.raises(SourceFileError, match="quotas: no file at .* \\(source hr is required\\)"):
        load_source(db, landing, "hr", NIGHT)
    assert rows(db, "select status from meta.load_ledger where entity = 'quotas'") == [("missing",)]
    assert rows(db, "select status from meta.load_ledger where entity = 'employees'") == [("loaded",)]


TYPED_ROWS = USERS_HEADER + (
    "U1,a@x.example,Ann,true,2026-11-19T08:00:00Z\n"
    ",c@x.example,Cy,true,2026-11-19T08:00:00Z\n"  # line 3: missing primary key
    "U4,d@x.example,Di,maybe,2026-11-19T08:00:00Z\n"  # line 4: not a boolean
    'U5,"e@x.example",Ed,true,now\n'  # line 5: a Postgres word, not an ISO timestamp
    "U6,f@x.example,Flo,true,2026-11-19\n"  # a date is an acceptable timestamp
)


def _load_users(db, path, mode: str, monkeypatch):
    """Load with the fast path ('arrow'), or the precise path because COPY ('precise') or Arrow ('no-arrow') balked."""
    from salesops.ingest import arrow_checks, fast_copy

    def refuse(*args, **kwargs):
        raise fast_copy.NeedsPreciseLoad("forced by the test")

    if mode == "arrow":  # the fast path must vouch for this file on its own
        from salesops.ingest import loader

        monkeypatch.setattr(loader, "_load_row_by_row", refuse)
    elif mode == "precise":
        monkeypatch.setattr(fast_copy, "copy_checked", refuse)
    elif mode == "no-arrow":
        monkeypatch.setattr(arrow_checks, "check_chunk", refuse)
    result = load_file(db, USERS, path, NIGHT, force=True)
    monkeypatch.undo()
    rejected = rows(db, "select _line_number, column_name, reason, raw_record from raw.crm__users__rejected order by 1")
    loaded = rows(db, "select user_id, _line_number, _source_file from raw.crm__users order by 1")
    return result, rejected, loaded


def test_every_checker_quarantines_the_same_rows_with_the_same_reasons(db, tmp_path, monkeypatch):
    path = write(tmp_path / "users.csv", TYPED_ROWS)
    label = source_label(USERS, NIGHT)  # crm/2026-11-20/users.csv: its place under the landing folder
    for mode in ("arrow", "no-arrow", "precise"):
        result, rejected, loaded = _load_users(db, path, mode, monkeypatch)
        assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 2, 3), mode
        assert loaded == [("U1", 2, label), ("U6", 6, label)], mode
        assert [r[:3] for r in rejected] == [
            (3, "user_id", "expected a value, got an empty field"),
            (4, "is_active", "expected true or false, got 'maybe'"),
            (5, "updated_at", "expected an ISO-8601 timestamp, got 'now'"),
        ], mode
        assert rejected[1][3] == "U4,d@x.example,Di,maybe,2026-11-19T08:00:00Z", mode


def test_fast_path_across_many_chunks_keeps_every_line_number(db, tmp_path, monkeypatch):
    from salesops.ingest import fast_copy, loader

    def refuse(*args, **kwargs):
        raise AssertionError("the fast path fell back to row by row")

    lines = [f"U{i},u{i}@x.example,User {i},true,2026-11-19T08:00:00Z" for i in range(200)]
    bad = {7: ",nokey@x.example,No Key,true,2026-11-19T08:00:00Z",  # missing key
           64: "U64,u64@x.example,Bad Day,true,2026-02-30T08:00:00Z",  # 30 February
           65: "U65,u65@x.example,Bad Bool,perhaps,2026-11-19T08:00:00Z",
           199: "U199,u199@x.example,Last,true,yesterday"}
    for index, text in bad.items():
        lines[index] = text
    path = write(tmp_path / "users.csv", USERS_HEADER + "\n".join(lines) + "\n")
    monkeypatch.setattr(fast_copy, "CHUNK_BYTES", 300)  # about six lines per chunk: ~35 COPYs
    monkeypatch.setattr(loader, "_load_row_by_row", refuse)
    result = load_file(db, USERS, path, NIGHT)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (200, 196, 4)
    # record i sits on file line i + 2 (line 1 is the header)
    assert [r[0] for r in rows(db, "select _line_number from raw.crm__users__rejected order by 1")] == [9, 66, 67, 201]
    loaded = rows(db, "select user_id, _line_number from raw.crm__users")
    assert len(loaded) == 196 and all(line == int(user[1:]) + 2 for user, line in loaded)
    assert rows(db, "select raw_record from raw.crm__users__rejected where _line_number = 66") == [(bad[64],)]
    assert result.sample_rejections[0] == (
        "crm/2026-11-20/users.csv, line 9, column user_id: expected a value, got an empty field")
