"""Maven Analytics' "CRM Sales Opportunities" practice dataset as one night's landing extracts (SPEC §3).

The dataset (../shared/realdata/maven_crm: accounts, products, sales_pipeline, sales_teams) is a flat
export of a fictional hardware seller, 2016-10 to 2017-12. This maps it to our extracts and nothing
more: its values pass through as they are, so the loader and the gates meet its real defects (a
product the product table spells otherwise, a misspelled sector, deals without an account or a
creation date, lost deals worth 0). What the source does not have is left empty, or, where our
contract requires a value, set to a documented stand-in (MAPPING_NOTES).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from salesops.contracts import STAGE_PROBABILITY, entities_of
from salesops.errors import SalesopsError

SOURCE_FILES = {
    "accounts.csv": ("account", "sector", "year_established", "revenue", "employees", "office_location",
                     "subsidiary_of"),
    "products.csv": ("product", "series", "sales_price"),
    "sales_pipeline.csv": ("opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date",
                           "close_date", "close_value"),
    "sales_teams.csv": ("sales_agent", "manager", "regional_office"),
}
STAGES = {"Prospecting": "prospecting", "Engaging": "qualification", "Won": "closed_won", "Lost": "closed_lost"}
# accounts' office countries, as the dataset spells them, to our regions
REGIONS = {
    "United States": "NA", "Panama": "LATAM", "Brazil": "LATAM",
    "Italy": "EMEA", "Norway": "EMEA", "Jordan": "EMEA", "Kenya": "EMEA", "Germany": "EMEA", "Poland": "EMEA",
    "Belgium": "EMEA", "Romania": "EMEA",
    "Philipines": "APAC", "Japan": "APAC", "Korea": "APAC", "China": "APAC",
}
EMAIL_DOMAIN = "maven.example"
MAPPING_NOTES = (
    "accounts: account_id from the name; segment by employees (< 1,000 SMB, < 5,000 Mid-Market, else"
    " Enterprise); annual_revenue = revenue (millions) x 1,000,000; created_at = 1 January of"
    " year_established; the sector is the industry, as spelled",
    "opportunities: Prospecting -> prospecting, Engaging -> qualification, Won -> closed_won, Lost -> closed_lost;"
    " created_at = engage_date (Prospecting deals have none: the loader rejects them); closed deals are"
    " closed_at and close_date on close_date at the close_value; open deals are worth their product's list"
    " price, or nothing when the product is not in the product table; all USD, type new_business",
    "opportunity_history: one row when engaged, one when closed",
    "people: each agent and manager is an HR employee (AE, sales_manager) and each agent a CRM user, with"
    f" the e-mail <name>@{EMAIL_DOMAIN}; hire_date (not in the source) = the first day of the first"
    " engage month; each agent covers the territory of their regional office",
    "not in the source, delivered empty: leads, activities, compensation plans, training, contracts; fx_rates:"
    " USD only; quotas too, unless --quarterly-quota gives every agent a flat one (then the quota KPIs are"
    " against that stand-in)",
)


@dataclass
class Conversion:
    night: date
    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")


# One definition per identifier: a deal's owner must be the CRM user written for its agent, a quota's
# rep the HR employee, a user's e-mail the employee's (the identity match).
def _account_id(name: str) -> str:
    return f"ACC-{_slug(name)}"


def _employee_id(name: str) -> str:
    return f"E-{_slug(name)}"


def _user_id(name: str) -> str:
    return f"U-{_slug(name)}"


def _email(name: str) -> str:
    return f"{_slug(name)}@{EMAIL_DOMAIN}"


def _read(src: Path, name: str) -> list[dict[str, str]]:
    path = src / name
    if not path.exists():
        raise SalesopsError(f"{path}: missing; the Maven CRM dataset has {', '.join(SOURCE_FILES)}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in SOURCE_FILES[name] if c not in (reader.fieldnames or ())]
        if missing:
            raise SalesopsError(f"{path}, line 1: expected the column(s) {', '.join(missing)} in the header,"
                                f" found {', '.join(reader.fieldnames or ()) or 'none'}")
        return list(reader)


def _timestamp(day: str) -> str:
    return f"{day}T00:00:00Z" if day else ""


def _segment(employees: str) -> str:
    try:
        count = int(employees)
    except ValueError:
        return ""
    return "SMB" if count < 1000 else "Mid-Market" if count < 5000 else "Enterprise"


def _revenue(millions: str) -> str:
    try:
        return f"{float(millions) * 1_000_000:.2f}"
    except ValueError:
        return millions  # passed on as it is: the loader says what is wrong with it


def _quarters(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar quarters from the one holding `first` to the one holding `last`: (start, end)."""
    out = []
    start = date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    while start <= last:
        following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
        out.append((start, date.fromordinal(following.toordinal() - 1)))
        start = following
    return out


def convert(src: Path, out: Path, night: date | None = None, quarterly_quota: float | None = None) -> Conversion:
    """Write landing/<source>/<night>/<entity>.csv for the crm and hr sources from the Maven files.
    `night`: the extract's date, by default the last close date in the pipeline. `quarterly_quota`: the
    dataset has no quotas, and the mart gate stops a night whose quota KPIs are empty; given, every agent
    gets this flat bookings quota (USD) for each quarter from the first engage date to the night: a
    stand-in, so attainment against it says nothing about the agents."""
    accounts = _read(src, "accounts.csv")
    products = {row["product"]: row["sales_price"] for row in _read(src, "products.csv")}
    pipeline = _read(src, "sales_pipeline.csv")
    teams = _read(src, "sales_teams.csv")
    closes = [r["close_date"] for r in pipeline if r["close_date"]]
    if night is None and not closes:
        raise SalesopsError(f"{src / 'sales_pipeline.csv'}: no deal has a close_date to date the night by;"
                            " pass --night")
    night = night or date.fromisoformat(max(closes))
    extracted = _timestamp(night.isoformat())
    engaged = sorted(r["engage_date"] for r in pipeline if r["engage_date"])
    hire_date = f"{engaged[0][:7]}-01" if engaged else night.isoformat()
    result = Conversion(night, out)

    known_accounts = {row["account"] for row in accounts}
    account_rows = [{
        "account_id": _account_id(row["account"]), "account_name": row["account"], "industry": row["sector"],
        "segment": _segment(row["employees"]), "country": row["office_location"],
        "region": REGIONS.get(row["office_location"], ""), "annual_revenue": _revenue(row["revenue"]),
        "employee_count": row["employees"],
        "created_at": _timestamp(f"{row['year_established']}-01-01") if row["year_established"] else "",
        "updated_at": extracted, "is_deleted": "false",
    } for row in accounts]

    managers = sorted({row["manager"] for row in teams})
    employees = [{
        "employee_id": _employee_id(name), "full_name": name, "work_email": _email(name),
        "job_title": "Sales Manager", "role": "sales_manager", "department": "Sales", "hire_date": hire_date,
        "updated_at": extracted,
    } for name in managers]
    employees += [{
        "employee_id": _employee_id(row["sales_agent"]), "full_name": row["sales_agent"],
        "work_email": _email(row["sales_agent"]), "job_title": "Sales Agent", "role": "AE",
        "department": "Sales", "manager_employee_id": _employee_id(row["manager"]), "hire_date": hire_date,
        "location": row["regional_office"], "updated_at": extracted,
    } for row in teams]
    users = [{
        "user_id": _user_id(row["sales_agent"]), "email": _email(row["sales_agent"]),
        "full_name": row["sales_agent"], "is_active": "true", "updated_at": extracted,
    } for row in teams]
    territories = [{
        "employee_id": _employee_id(row["sales_agent"]), "territory_id": f"T-{_slug(row['regional_office'])}",
        "territory_name": row["regional_office"], "region": "NA", "effective_from": hire_date,
    } for row in teams]

    opportunities, history = [], []
    no_price: Counter = Counter()
    for row in pipeline:
        stage = STAGES.get(row["deal_stage"], row["deal_stage"])  # an unknown stage goes on, to be rejected
        closed = stage in ("closed_won", "closed_lost")
        amount = row["close_value"] if closed else products.get(row["product"], "")
        if not closed and row["product"] not in products:
            no_price[row["product"]] += 1
        deal = {
            "opportunity_id": row["opportunity_id"],
            "account_id": _account_id(row["account"]) if row["account"] else "",
            "owner_user_id": _user_id(row["sales_agent"]) if row["sales_agent"] else "",
            "opportunity_name": f"{row['product']} - {row['account'] or 'no account'}",
            "type": "new_business", "stage": stage, "amount": amount, "currency": "USD",
            "probability": str(STAGE_PROBABILITY.get(stage, "")),
            "forecast_category": "closed" if closed else "pipeline",
            "created_at": _timestamp(row["engage_date"]),
            "close_date": row["close_date"] if closed else "",
            "closed_at": _timestamp(row["close_date"]) if closed else "",
            "updated_at": _timestamp(row["close_date"] or row["engage_date"]) or extracted,
            "is_deleted": "false",
        }
        opportunities.append(deal)
        changes = [("qualification", row["engage_date"])] if row["engage_date"] else []
        if closed and row["close_date"]:
            changes.append((stage, row["close_date"]))
        for number, (changed_stage, day) in enumerate(changes, start=1):
            history.append({
                "history_id": f"{row['opportunity_id']}-{number}", "opportunity_id": row["opportunity_id"],
                "stage": changed_stage, "amount": amount, "currency": "USD",
                "probability": str(STAGE_PROBABILITY[changed_stage]),
                "close_date": deal["close_date"] if changed_stage == stage else "",
                "forecast_category": "closed" if changed_stage == stage and closed else "pipeline",
                "changed_at": _timestamp(day),
            })

    quotas = [{
        "employee_id": _employee_id(row["sales_agent"]), "period_start": start.isoformat(),
        "period_end": end.isoformat(), "quota_amount": f"{quarterly_quota:.2f}", "currency": "USD",
        "quota_type": "bookings",
    } for row in teams for start, end in _quarters(date.fromisoformat(hire_date), night)] if quarterly_quota else []

    tables = {
        ("crm", "accounts"): account_rows, ("crm", "users"): users, ("crm", "opportunities"): opportunities,
        ("crm", "opportunity_history"): history,
        ("crm", "fx_rates"): [{"date": hire_date, "currency": "USD", "rate_to_usd": "1"}],
        ("hr", "employees"): employees, ("hr", "territory_assignments"): territories, ("hr", "quotas"): quotas,
    }
    for source in ("crm", "hr"):
        for extract in entities_of(source):
            rows = tables.get((source, extract.name), [])
            _write(out / source / night.isoformat() / f"{extract.name}.csv", extract.column_names, rows)
            result.rows[f"{source}/{extract.name}"] = len(rows)

    result.findings += [
        f"{sum(1 for r in pipeline if not r['engage_date'])} deal(s) without an engage date (created_at is"
        " required: the loader rejects them)",
        f"{sum(1 for r in pipeline if not r['account'])} deal(s) without an account",
        *(f"{count} open deal(s) on the product {name!r}, not in the product table: no amount"
          for name, count in sorted(no_price.items())),
        f"{sum(1 for r in pipeline if r['deal_stage'] == 'Lost' and r['close_value'] in ('0', ''))} lost deal(s)"
        " with a close value of 0",
        f"{sum(1 for r in pipeline if r['account'] and r['account'] not in known_accounts)} deal(s) on an"
        " account not in the account table",
    ]
    return result


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    unknown = {name for row in rows for name in row} - set(columns)
    if unknown:  # a misspelled column would otherwise be written empty
        raise SalesopsError(f"{path.name}: no column(s) {', '.join(sorted(unknown))} in the contract")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")  # a missing column: empty
        writer.writeheader()
        writer.writerows(rows)
