"""The sales organisation: employees (HR), CRM logins, territories, quotas, pay plans, training.

Reps are hired over the whole history and ramp up (their first quotas are reduced); some
leave. Every rep has a sales manager; the sales-ops team has a leader, managers, analysts and
planning, tech and ops specialists. All of this is small (thousands of rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesops.contracts import QUOTA_CARRYING_ROLES, entity
from salesops.generator.tables import Codes, Ids, Table
from salesops.generator.timeline import DAY, NULL_TIME, Window

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_WEIGHTS = (0.45, 0.30, 0.15, 0.10)
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_WEIGHTS = (0.60, 0.30, 0.10)
# Offices per region: (city, country, currency)
OFFICES = {
    "NA": (("New York", "US", "USD"), ("Austin", "US", "USD"), ("Toronto", "CA", "CAD")),
    "EMEA": (("London", "GB", "GBP"), ("Berlin", "DE", "EUR"), ("Paris", "FR", "EUR")),
    "APAC": (("Sydney", "AU", "AUD"), ("Tokyo", "JP", "JPY"), ("Singapore", "SG", "USD")),
    "LATAM": (("Sao Paulo", "BR", "BRL"), ("Mexico City", "MX", "USD")),
}
FIRST_NAMES = ("Alex", "Sam", "Maria", "Chen", "Priya", "Jonas", "Fatima", "Lucas", "Emma", "Noah", "Aiko",
               "Omar", "Sofia", "Liam", "Ines", "Mateo", "Hana", "Ravi", "Chloe", "Diego", "Lena", "Kwame",
               "Zoe", "Ivan", "Nadia", "Tom", "Yuki", "Ana", "Ben", "Elif")
LAST_NAMES = ("Smith", "Garcia", "Wang", "Patel", "Muller", "Dubois", "Silva", "Kim", "Okafor", "Rossi",
              "Novak", "Tanaka", "Jensen", "Haddad", "Lopez", "Brown", "Ivanova", "Nguyen", "Cohen", "Moreau",
              "Schmidt", "Costa", "Suzuki", "Khan", "Walsh")
ROLE_TITLES = {
    "AE": "Account Executive", "SDR": "Sales Development Representative", "SE": "Solutions Engineer",
    "AM": "Account Manager", "sales_manager": "Sales Manager", "sales_ops_leader": "VP Sales Operations",
    "sales_ops_manager": "Sales Operations Manager", "sales_ops_analyst": "Sales Operations Analyst",
    "sales_planning_specialist": "Sales Planning Specialist", "sales_tech_specialist": "Sales Technology Specialist",
    "sales_ops_specialist": "Sales Operations Specialist",
}
SALARY_USD = {"AE": 95_000, "SDR": 60_000, "SE": 110_000, "AM": 85_000, "sales_manager": 150_000,
              "sales_ops_leader": 190_000, "sales_ops_manager": 140_000, "sales_ops_analyst": 90_000,
              "sales_planning_specialist": 95_000, "sales_tech_specialist": 105_000, "sales_ops_specialist": 80_000}
BASE_FX = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.74, "AUD": 0.66, "JPY": 0.0068, "BRL": 0.19}
# Typical quarterly bookings of a ramped rep in USD, by segment (sizes variable pay).
QUARTER_QUOTA_USD = {"SMB": 120_000, "Mid-Market": 240_000, "Enterprise": 450_000}
RAMP = (0.25, 0.5, 0.75)  # share of the full quota in a rep's first, second and third quarter
COURSES = (("C100", "Sales onboarding"), ("C110", "Product fundamentals"), ("C120", "Discovery calls"),
           ("C200", "Negotiation"), ("C210", "Enterprise selling"), ("C300", "Forecasting in the CRM"),
           ("C310", "Pipeline hygiene"), ("C400", "Compliance"))
ONBOARDING = 3  # the first three courses are onboarding courses


@dataclass
class Org:
    """Everything the other generators need to know about the people."""

    n: int
    role: np.ndarray  # str
    region: np.ndarray  # int index into REGIONS
    segment: np.ndarray  # int index into SEGMENTS (-1 where not territory-based)
    territory: np.ndarray  # int territory id (-1 none)
    manager: np.ndarray  # employee index (-1 none)
    hire_day: np.ndarray  # int64 day number
    term_day: np.ndarray  # int64 day number or NULL_TIME
    currency: np.ndarray  # str
    user_of: np.ndarray  # CRM user index per employee (-1 none)
    territories: list[tuple[str, int, int]]  # (name, region index, segment index)
    n_users: int
    user_employee: np.ndarray  # employee index per CRM user (-1 = a login with no HR match)

    def reps_in(self, roles: tuple[str, ...]) -> np.ndarray:
        return np.flatnonzero(np.isin(self.role, roles))


def _role_counts(n: int) -> list[tuple[str, int]]:
    fixed = [
        ("sales_ops_leader", 1),
        ("sales_ops_manager", max(1, round(n * 0.005))),
        ("sales_ops_analyst", max(2, round(n * 0.015))),
        ("sales_planning_specialist", max(1, round(n * 0.005))),
        ("sales_tech_specialist", max(1, round(n * 0.005))),
        ("sales_ops_specialist", max(1, round(n * 0.01))),
        ("sales_manager", max(3, round(n * 0.08))),
        ("SE", max(2, round(n * 0.08))),
        ("SDR", max(4, round(n * 0.18))),
        ("AM", max(4, round(n * 0.15))),
    ]
    used = sum(c for _, c in fixed)
    return [*fixed, ("AE", max(6, n - used))]


def build_org(rng: np.random.Generator, window: Window, n_employees: int) -> Org:
    counts = _role_counts(n_employees)
    role = np.array([r for r, c in counts for _ in range(c)], dtype=object)
    n = role.size
    start_day, end_day = window.start // DAY, window.end // DAY
    quota_roles = np.isin(role, QUOTA_CARRYING_ROLES)
    field_roles = np.isin(role, ("AE", "AM", "SDR", "SE"))
    leaders = np.isin(role, ("sales_manager", "sales_ops_leader", "sales_ops_manager"))

    # About half were there before the history starts; the rest are hired over it, faster later on.
    founding = rng.random(n) < np.where(leaders, 0.85, 0.45)
    hire_day = np.where(
        founding,
        start_day - rng.integers(30, 4 * 365, n),
        start_day + (np.sqrt(rng.random(n)) * (end_day - start_day - 20)).astype(np.int64),
    )
    # Attrition: reps about 18% a year, others 8%; the sales-ops leader stays.
    yearly = np.where(field_roles, 0.18, 0.08)
    tenure_days = (rng.exponential(365.0 / yearly)).astype(np.int64)
    term_day = np.where((hire_day + tenure_days < end_day) & (role != "sales_ops_leader"),
                        hire_day + np.maximum(tenure_days, 60), NULL_TIME)

    region = rng.choice(len(REGIONS), size=n, p=REGION_WEIGHTS)
    segment = np.where(field_roles, rng.choice(len(SEGMENTS), size=n, p=SEGMENT_WEIGHTS), -1)

    # Territories: one per region x segment, split further as the team grows.
    per_cell = max(1, int(round(quota_roles.sum() / (len(REGIONS) * len(SEGMENTS) * 6))))
    territories: list[tuple[str, int, int]] = []
    for r, region_name in enumerate(REGIONS):
        for s, segment_name in enumerate(SEGMENTS):
            for k in range(per_cell):
                suffix = f" {k + 1}" if per_cell > 1 else ""
                territories.append((f"{region_name} {segment_name}{suffix}", r, s))
    cell_start = {(r, s): (r * len(SEGMENTS) + s) * per_cell for r in range(len(REGIONS)) for s in range(len(SEGMENTS))}
    territory = np.array([
        cell_start[(region[i], segment[i])] + int(rng.integers(per_cell)) if field_roles[i] else -1 for i in range(n)
    ])

    # Managers: the longest-serving sales manager heads sales; other managers report to them.
    manager = np.full(n, -1)
    sales_managers = np.flatnonzero(role == "sales_manager")
    head = sales_managers[np.argmin(hire_day[sales_managers])]
    hire_day[head] = min(hire_day[head], start_day - 400)
    term_day[head] = NULL_TIME
    for i in sales_managers:
        if i != head:
            manager[i] = head
    for i in np.flatnonzero(field_roles):
        same_region = sales_managers[(region[sales_managers] == region[i]) & (sales_managers != head)]
        pool = same_region if same_region.size else sales_managers
        manager[i] = pool[rng.integers(pool.size)]
    ops_leader = int(np.flatnonzero(role == "sales_ops_leader")[0])
    ops_managers = np.flatnonzero(role == "sales_ops_manager")
    manager[ops_managers] = ops_leader
    for i in np.flatnonzero(np.isin(role, ("sales_ops_analyst", "sales_planning_specialist",
                                           "sales_tech_specialist", "sales_ops_specialist"))):
        manager[i] = ops_managers[rng.integers(ops_managers.size)]

    office = [OFFICES[REGIONS[r]][int(rng.integers(len(OFFICES[REGIONS[r]])))] for r in region]
    currency = np.array([o[2] for o in office], dtype=object)

    # CRM logins: everyone in sales and sales ops has one; planted logins with no HR match come later.
    user_of = np.arange(n)
    org = Org(n=n, role=role, region=region, segment=segment, territory=territory, manager=manager,
              hire_day=hire_day, term_day=term_day, currency=currency, user_of=user_of, territories=territories,
              n_users=n, user_employee=np.arange(n))
    org._office = office  # type: ignore[attr-defined]  # kept for the employee extract
    return org


def _names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    first = np.array(FIRST_NAMES)[rng.integers(len(FIRST_NAMES), size=n)]
    last = np.array(LAST_NAMES)[rng.integers(len(LAST_NAMES), size=n)]
    return first, last


def employees_table(rng: np.random.Generator, org: Org, window: Window) -> tuple[Table, np.ndarray]:
    """HR employees: a version before the start date (pre-hire), another at termination."""
    n = org.n
    first, last = _names(rng, n)
    full_name = np.char.add(np.char.add(first, " "), last)
    handle = np.char.lower(np.char.add(np.char.add(first, "."), np.char.add(last, np.arange(n).astype(str))))
    work_email = np.char.add(handle, "@salesco.example")
    personal_email = np.char.add(np.char.add(np.char.lower(first), np.arange(n).astype(str)), "@mail.example")
    office = org._office  # type: ignore[attr-defined]
    salary = np.array([SALARY_USD[r] / BASE_FX[c] for r, c in zip(org.role, org.currency, strict=True)])
    salary = np.round(salary * rng.uniform(0.85, 1.2, n), -2)
    titles = np.array([ROLE_TITLES[r] for r in org.role], dtype=object)

    first_version = (org.hire_day - 14) * DAY + 9 * 3600
    has_term = org.term_day != NULL_TIME
    term_version = np.where(has_term, (org.term_day - 10) * DAY + 9 * 3600, NULL_TIME)
    # Version 1: before the first day (termination unknown); version 2: notice of termination.
    idx = np.concatenate([np.arange(n), np.flatnonzero(has_term)])
    version_time = np.concatenate([first_version, term_version[has_term]])
    term_known = np.concatenate([np.zeros(n, dtype=bool), np.ones(int(has_term.sum()), dtype=bool)])
    roles = tuple(ROLE_TITLES)
    columns = {
        "employee_id": Ids("E", idx + 10_000),
        "full_name": full_name[idx],
        "work_email": work_email[idx],
        "personal_email": personal_email[idx],
        "job_title": titles[idx].astype(str),
        "role": Codes(roles, np.array([roles.index(r) for r in org.role[idx]])),
        "department": np.where(np.char.startswith(org.role[idx].astype(str), "sales_") &
                               (org.role[idx] != "sales_manager"), "Sales Operations", "Sales"),
        "manager_employee_id": Ids("E", np.where(org.manager[idx] >= 0, org.manager[idx] + 10_000, -1)),
        "hire_date": org.hire_day[idx],
        "termination_date": np.where(term_known, org.term_day[idx], NULL_TIME),
        "location": np.array([office[i][0] for i in idx]),
        "base_salary": salary[idx],
        "salary_currency": org.currency[idx].astype(str),
        "updated_at": version_time,
    }
    table = Table(entity("hr", "employees"), columns, version_time, key=idx)
    return table, work_email


def users_table(rng: np.random.Generator, org: Org, work_email: np.ndarray, window: Window,
                unmatched: int) -> Table:
    """CRM logins: created on the hire date, deactivated at termination; `unmatched` extra logins
    belong to nobody in HR (a planted defect: contractors, shared logins)."""
    n = org.n
    email = work_email.copy()
    # CRM emails are typed by hand: some differ from HR in case or surrounding spaces.
    mixed = rng.random(n) < 0.1
    email = np.where(mixed, np.char.upper(email), email)
    spaced = rng.random(n) < 0.05
    email = np.where(spaced, np.char.add(" ", email), email)
    first, last = _names(rng, n + unmatched)
    names = np.char.add(np.char.add(first, " "), last)

    created = org.hire_day * DAY + 8 * 3600
    has_term = org.term_day != NULL_TIME
    idx = np.concatenate([np.arange(n), np.flatnonzero(has_term)])
    version_time = np.concatenate([created, org.term_day[has_term] * DAY + 18 * 3600])
    active = np.concatenate([np.ones(n, dtype=np.int8), np.zeros(int(has_term.sum()), dtype=np.int8)])
    emails = email[idx]
    all_names = names[idx]
    planted = np.zeros(idx.size, dtype=bool)
    if unmatched:
        extra = np.arange(n, n + unmatched)
        extra_time = window.start + (rng.random(unmatched) * (window.end - window.start) * 0.9).astype(np.int64)
        idx = np.concatenate([idx, extra])
        version_time = np.concatenate([version_time, extra_time])
        active = np.concatenate([active, np.ones(unmatched, dtype=np.int8)])
        emails = np.concatenate([emails, np.char.add(np.char.add("contractor", extra.astype(str)),
                                                     "@partners.example")])
        all_names = np.concatenate([all_names, names[n:]])
        planted = np.concatenate([planted, np.ones(unmatched, dtype=bool)])
    org.n_users = n + unmatched
    org.user_employee = np.concatenate([np.arange(n), np.full(unmatched, -1)])
    columns = {
        "user_id": Ids("U", idx + 50_000),
        "email": emails,
        "full_name": all_names,
        "is_active": active,
        "updated_at": version_time,
    }
    return Table(entity("crm", "users"), columns, version_time, key=idx,
                 planted={"crm_users_without_hr_match": planted})


def quarter_starts(first_day: int, last_day: int) -> np.ndarray:
    """Day numbers of the calendar quarter starts from the quarter holding first_day up to last_day."""
    start = np.datetime64(int(first_day), "D").astype("datetime64[M]")
    start = start - (start.astype(int) % 3)
    end = np.datetime64(int(last_day), "D").astype("datetime64[M]")
    months = np.arange(start, end + 1, 3)
    return months.astype("datetime64[D]").astype(np.int64)


def quotas_table(rng: np.random.Generator, org: Org, window: Window,
                 won_usd: dict[tuple[int, int], float]) -> Table:
    """Quarterly bookings quotas for AEs and AMs, set two weeks before each quarter through the quarter after
    the last night. A fully ramped rep's quota is about 1.05x what the segment's reps actually booked per
    head that quarter (won_usd: (quarter start day, segment) -> USD), so attainment lands around 0.9 with
    a healthy share of reps above 1; new reps get 25%, 50%, 75% in their first three quarters."""
    reps = org.reps_in(QUOTA_CARRYING_ROLES)
    quarters = quarter_starts(window.start // DAY, window.end // DAY + 100)
    complete = [q for q in quarters if _quarter_end(q) < window.end // DAY]

    def ramp(i: int, q_index: int) -> float:
        served = int(np.searchsorted(quarters, org.hire_day[i], side="right")) - 1
        nth = q_index - served
        return RAMP[nth] if 0 <= nth < len(RAMP) else 1.0

    def active(i: int, q: int) -> bool:
        return not (_quarter_end(q) < org.hire_day[i] or (org.term_day[i] != NULL_TIME and q > org.term_day[i]))

    rows_emp, rows_q, rows_amount = [], [], []
    for q_index, q in enumerate(quarters):
        # Quarters not finished by the last night are planned from the last finished one, plus growth.
        basis = q if q in complete else (complete[-1] if complete else q)
        growth = 1.05 if basis != q else 1.0
        for seg in range(len(SEGMENTS)):
            team = [i for i in reps if max(org.segment[i], 0) == seg and active(i, q)]
            heads = sum(ramp(i, q_index) for i in team) or 1.0
            per_head = max(won_usd.get((basis, seg), 0.0) * growth / heads, 10_000.0)
            for i in team:
                rows_emp.append(i)
                rows_q.append(q)
                usd = per_head * 1.05 * ramp(i, q_index) * rng.uniform(0.85, 1.15)
                rows_amount.append(max(round(usd / BASE_FX[org.currency[i]], -3), 1000.0))
    emp = np.array(rows_emp, dtype=np.int64)
    q_start = np.array(rows_q, dtype=np.int64)
    q_end = np.array([_quarter_end(q) for q in q_start], dtype=np.int64)
    version_time = (q_start - 14) * DAY + 10 * 3600
    currencies = tuple(BASE_FX)
    columns = {
        "employee_id": Ids("E", emp + 10_000),
        "period_start": q_start,
        "period_end": q_end,
        "quota_amount": np.array(rows_amount, dtype=float),
        "currency": Codes(currencies, np.array([currencies.index(org.currency[i]) for i in emp], dtype=np.int64)),
        "quota_type": Codes(("bookings",), np.zeros(emp.size, dtype=np.int64)),
    }
    return Table(entity("hr", "quotas"), columns, version_time, key=emp * 100_000 + q_start)


def _quarter_end(q_start: int) -> int:
    month = np.datetime64(int(q_start), "D").astype("datetime64[M]")
    return int((month + 3).astype("datetime64[D]").astype(np.int64)) - 1


def territory_assignments_table(rng: np.random.Generator, org: Org, window: Window) -> Table:
    """Field reps cover their territory from their hire date; about a third move once."""
    reps = org.reps_in(("AE", "AM", "SDR", "SE"))
    emp, terr, frm, to, ver = [], [], [], [], []
    n_terr = len(org.territories)
    for i in reps:
        start = org.hire_day[i]
        end = org.term_day[i]
        moves = rng.random() < 0.33
        move_day = start + int(rng.integers(120, 700))
        if moves and move_day < window.end // DAY and (end == NULL_TIME or move_day < end):
            new_terr = int(rng.integers(n_terr))
            emp += [i, i, i]
            terr += [org.territory[i], org.territory[i], new_terr]
            frm += [start, start, move_day]
            to += [NULL_TIME, move_day - 1, end]
            ver += [(start - 7) * DAY, (move_day - 7) * DAY, (move_day - 7) * DAY]
            org.territory[i] = new_terr  # later deals follow the current territory
        else:
            emp.append(i)
            terr.append(org.territory[i])
            frm.append(start)
            to.append(end)
            ver.append((start - 7) * DAY)
    emp_a, terr_a = np.array(emp), np.array(terr)
    frm_a = np.array(frm, dtype=np.int64)
    names = tuple(t[0] for t in org.territories)
    columns = {
        "employee_id": Ids("E", emp_a + 10_000),
        "territory_id": Ids("T", terr_a + 100),
        "territory_name": Codes(names, terr_a),
        "region": Codes(REGIONS, np.array([org.territories[t][1] for t in terr_a])),
        "segment": Codes(SEGMENTS, np.array([org.territories[t][2] for t in terr_a])),
        "effective_from": frm_a,
        "effective_to": np.array(to, dtype=np.int64),
    }
    key = (emp_a * 1000 + terr_a) * 100_000 + frm_a
    return Table(entity("hr", "territory_assignments"), columns, np.array(ver, dtype=np.int64), key=key)


def compensation_table(rng: np.random.Generator, org: Org, window: Window) -> Table:
    reps = org.reps_in(QUOTA_CARRYING_ROLES)
    first_year = int(np.datetime64(window.start // DAY, "D").astype("datetime64[Y]").astype(int)) + 1970
    last_year = int(np.datetime64(window.end // DAY, "D").astype("datetime64[Y]").astype(int)) + 1970
    emp, year, ver = [], [], []
    for i in reps:
        for y in range(first_year, last_year + 1):
            jan1 = (np.datetime64(f"{y}-01-01") - np.datetime64("1970-01-01")).astype(int)
            dec31 = jan1 + 364
            if dec31 < org.hire_day[i] or (org.term_day[i] != NULL_TIME and org.term_day[i] < jan1):
                continue
            emp.append(i)
            year.append(y)
            ver.append((max(jan1 - 15, org.hire_day[i] - 14)) * DAY + 9 * 3600)
    emp_a = np.array(emp)
    otv = np.array([SALARY_USD[org.role[i]] * 0.9 / BASE_FX[org.currency[i]] for i in emp_a])
    quota_year = np.array([QUARTER_QUOTA_USD[SEGMENTS[max(org.segment[i], 0)]] * 4 / BASE_FX[org.currency[i]]
                           for i in emp_a])
    columns = {
        "employee_id": Ids("E", emp_a + 10_000),
        "plan_year": np.array(year, dtype=np.int64),
        "on_target_variable": np.round(otv, -2),
        "commission_rate": np.round(otv / quota_year, 4),
        "accelerator_threshold": np.ones(emp_a.size),
        "accelerator_multiplier": rng.choice([1.5, 1.75, 2.0], size=emp_a.size),
    }
    return Table(entity("hr", "compensation_plans"), columns, np.array(ver, dtype=np.int64),
                 key=emp_a * 10_000 + np.array(year))


def training_table(rng: np.random.Generator, org: Org, window: Window) -> Table:
    """Onboarding courses in the first 90 days for most reps; later courses over their tenure."""
    people = org.reps_in(("AE", "AM", "SDR", "SE", "sales_manager"))
    emp, course, when = [], [], []
    for i in people:
        end = org.term_day[i] if org.term_day[i] != NULL_TIME else window.end // DAY
        onboard = rng.random() < 0.7
        for c in range(len(COURSES)):
            if c < ONBOARDING:
                if not onboard:
                    continue
                day = org.hire_day[i] + int(rng.integers(3, 90))
            elif rng.random() < 0.5:
                day = org.hire_day[i] + int(rng.integers(60, 900))
            else:
                continue
            if day < end:
                emp.append(i)
                course.append(c)
                when.append(day * DAY + int(rng.integers(9 * 3600, 17 * 3600)))
    emp_a, course_a, when_a = np.array(emp), np.array(course), np.array(when, dtype=np.int64)
    columns = {
        "employee_id": Ids("E", emp_a + 10_000),
        "course_id": Codes(tuple(c[0] for c in COURSES), course_a),
        "course_name": Codes(tuple(c[1] for c in COURSES), course_a),
        "completed_at": when_a,
        "score": np.round(rng.uniform(55, 100, emp_a.size)),
    }
    return Table(entity("hr", "training_completions"), columns, when_a)
