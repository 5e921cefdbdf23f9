"""The Maven CRM dataset converter (salesops.ingest.realdata_maven) on a five-deal copy of its format
(tests/fixtures/maven_crm_sample): every value below is worked out from those files by hand."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from salesops.contracts import entities_of
from salesops.errors import SalesopsError
from salesops.ingest.realdata_maven import convert

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "maven_crm_sample"
NIGHT = date(2017, 12, 31)


def read(out: Path, source: str, name: str, night: date = NIGHT) -> list[dict[str, str]]:
    with (out / source / night.isoformat() / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_crm_and_hr_extract_is_written_with_the_contract_header(tmp_path):
    convert(SAMPLE, tmp_path, NIGHT)
    for source in ("crm", "hr"):
        for extract in entities_of(source):
            with (tmp_path / source / "2017-12-31" / f"{extract.name}.csv").open(newline="") as handle:
                assert next(csv.reader(handle)) == list(extract.column_names)
    assert not (tmp_path / "contracts").exists()  # an optional source the dataset has nothing for


def test_deals_keep_their_values_and_defects(tmp_path):
    result = convert(SAMPLE, tmp_path, NIGHT)
    deals = {row["opportunity_id"]: row for row in read(tmp_path, "crm", "opportunities")}
    # W1 won at its close value; the product's spelling (GTXPro) does not matter once closed
    assert {k: deals["W1"][k] for k in ("account_id", "owner_user_id", "stage", "amount", "probability",
                                         "created_at", "close_date", "closed_at", "forecast_category")} == {
        "account_id": "ACC-acme-corporation", "owner_user_id": "U-moses-frase", "stage": "closed_won",
        "amount": "4514", "probability": "100", "created_at": "2016-10-20T00:00:00Z", "close_date": "2017-03-01",
        "closed_at": "2017-03-01T00:00:00Z", "forecast_category": "closed"}
    assert (deals["L1"]["stage"], deals["L1"]["amount"], deals["L1"]["probability"]) == ("closed_lost", "0", "0")
    # open deals are worth their product's list price: E1's GTXPro is not in the product table (GTX Pro)
    assert (deals["E1"]["stage"], deals["E1"]["amount"], deals["E1"]["close_date"]) == ("qualification", "", "")
    assert (deals["E2"]["amount"], deals["E2"]["account_id"]) == ("55", "")
    # P1 (Prospecting) has no engage date: no created_at, which the loader requires
    assert (deals["P1"]["stage"], deals["P1"]["amount"], deals["P1"]["created_at"]) == ("prospecting", "4821", "")
    assert result.findings[:4] == [
        "1 deal(s) without an engage date (created_at is required: the loader rejects them)",
        "2 deal(s) without an account",
        "1 open deal(s) on the product 'GTXPro', not in the product table: no amount",
        "1 lost deal(s) with a close value of 0",
    ]
    # engaged, then closed: W1 and L1 twice, E1 and E2 once, P1 never
    history = [(r["history_id"], r["stage"], r["changed_at"][:10])
               for r in read(tmp_path, "crm", "opportunity_history")]
    assert history == [("W1-1", "qualification", "2016-10-20"), ("W1-2", "closed_won", "2017-03-01"),
                       ("L1-1", "qualification", "2016-11-02"), ("L1-2", "closed_lost", "2017-01-15"),
                       ("E1-1", "qualification", "2017-12-01"), ("E2-1", "qualification", "2017-11-20")]


def test_accounts_and_people(tmp_path):
    convert(SAMPLE, tmp_path, NIGHT)
    accounts = {row["account_name"]: row for row in read(tmp_path, "crm", "accounts")}
    # Acme: 2,822 employees (Mid-Market), revenue 1,100.04 millions, offices in the US (NA)
    assert {k: accounts["Acme Corporation"][k] for k in ("account_id", "industry", "segment", "region",
                                                          "annual_revenue", "created_at")} == {
        "account_id": "ACC-acme-corporation", "industry": "technolgy", "segment": "Mid-Market", "region": "NA",
        "annual_revenue": "1100040000.00", "created_at": "1996-01-01T00:00:00Z"}
    assert (accounts["Betasoloin"]["segment"], accounts["Betasoloin"]["region"]) == ("SMB", "EMEA")  # 495; Kenya
    employees = {row["employee_id"]: row for row in read(tmp_path, "hr", "employees")}
    # the manager and the two agents, hired (a stand-in) on the first day of the first engage month, 2016-10
    assert sorted(employees) == ["E-anna-snelling", "E-dustin-brinkmann", "E-moses-frase"]
    assert (employees["E-moses-frase"]["role"], employees["E-moses-frase"]["manager_employee_id"],
            employees["E-moses-frase"]["hire_date"]) == ("AE", "E-dustin-brinkmann", "2016-10-01")
    assert employees["E-dustin-brinkmann"]["role"] == "sales_manager"
    users = {row["user_id"]: row["email"] for row in read(tmp_path, "crm", "users")}
    assert users == {"U-moses-frase": "moses-frase@maven.example", "U-anna-snelling": "anna-snelling@maven.example"}
    assert employees["E-moses-frase"]["work_email"] == users["U-moses-frase"]  # the CRM user maps to HR by e-mail


def test_the_night_defaults_to_the_last_close_date(tmp_path):
    assert convert(SAMPLE, tmp_path).night == date(2017, 3, 1)  # W1's close, the latest


def test_a_missing_file_or_column_is_named(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    (src / "products.csv").unlink()
    with pytest.raises(SalesopsError, match=r"products\.csv: missing"):
        convert(src, tmp_path / "out", NIGHT)
    shutil.copy(SAMPLE / "products.csv", src)
    (src / "sales_teams.csv").write_text("sales_agent,manager\nMoses Frase,Dustin Brinkmann\n")
    with pytest.raises(SalesopsError, match=r"sales_teams\.csv, line 1: expected the column\(s\) regional_office"):
        convert(src, tmp_path / "out", NIGHT)


def test_quotas_only_when_a_flat_stand_in_is_given(tmp_path):
    convert(SAMPLE, tmp_path / "none", NIGHT)
    assert read(tmp_path / "none", "hr", "quotas") == []
    convert(SAMPLE, tmp_path / "flat", NIGHT, quarterly_quota=80000)
    quotas = [(r["employee_id"], r["period_start"], r["period_end"], r["quota_amount"])
              for r in read(tmp_path / "flat", "hr", "quotas")]
    # two agents (not the manager), each quarter from the first engage month (2016-10) to the night: 2016 Q4
    # and 2017's four
    assert len(quotas) == 10
    assert quotas[:5] == [("E-moses-frase", "2016-10-01", "2016-12-31", "80000.00"),
                          ("E-moses-frase", "2017-01-01", "2017-03-31", "80000.00"),
                          ("E-moses-frase", "2017-04-01", "2017-06-30", "80000.00"),
                          ("E-moses-frase", "2017-07-01", "2017-09-30", "80000.00"),
                          ("E-moses-frase", "2017-10-01", "2017-12-31", "80000.00")]
