"""Source contracts: the one definition of every landing extract (SPEC section 3).

The loader, the data-quality suites and the sample-data generator all read these, so
they cannot disagree about a column's name, type, nullability or allowed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from salesops.config import dbt_vars

STAGES = ("prospecting", "qualification", "discovery", "proposal", "negotiation", "closed_won", "closed_lost")
STAGE_PROBABILITY = {
    "prospecting": 10, "qualification": 20, "discovery": 40, "proposal": 60,
    "negotiation": 80, "closed_won": 100, "closed_lost": 0,
}
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
# HR role groups, defined once in dbt_project.yml's vars (the models group by them too).
SALES_ROLES: tuple[str, ...] = tuple(dbt_vars()["sales_roles"])
SALES_OPS_ROLES: tuple[str, ...] = tuple(dbt_vars()["sales_ops_roles"])
QUOTA_CARRYING_ROLES: tuple[str, ...] = tuple(dbt_vars()["quota_carrying_roles"])

# Types as the loader checks them; raw tables keep text, staging casts.
TEXT, INTEGER, NUMERIC, BOOLEAN, DATE, TIMESTAMP = "text", "integer", "numeric", "boolean", "date", "timestamp"
COLUMN_TYPES = (TEXT, INTEGER, NUMERIC, BOOLEAN, DATE, TIMESTAMP)


@dataclass(frozen=True)
class Column:
    name: str
    type: str = TEXT
    nullable: bool = True
    required: bool = True  # must be present in the header; optional columns load as null
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    # personal data (pay, private contact): its values never reach what BI or the reports show, not even
    # as a failed check's sample (quality_gate keeps those in a table only engineers read)
    personal: bool = False
    # a number as staging stores it, numeric(digits + scale, scale): a larger one is quarantined
    digits: int = 16
    scale: int = 2


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    description: str = ""
    required_for_night: bool = False  # True: a night without this file fails
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column -> "entity.column"
    # (earlier, later) column pairs that must be in order when both are set
    ordered_pairs: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.source}__{self.name}"

    @property
    def raw_table(self) -> str:
        return f"raw.{self.key}"

    @property
    def rejected_table(self) -> str:
        return f"raw.{self.key}__rejected"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def personal_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.personal)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.key} has no column {name}")


def _pk(name: str, type_: str = TEXT) -> Column:
    return Column(name, type_, nullable=False)


def _c(name: str, type_: str = TEXT, **kw) -> Column:  # noqa: ANN003 - thin alias for readability
    return Column(name, type_, **kw)


_UPDATED = _c("updated_at", TIMESTAMP, nullable=False)
_DELETED = _c("is_deleted", BOOLEAN, required=False)

ENTITIES: tuple[Entity, ...] = (
    # --- crm ---------------------------------------------------------------------------
    Entity("crm", "accounts", (
        _pk("account_id"), _c("account_name", nullable=False), _c("industry"),
        _c("segment", allowed=("SMB", "Mid-Market", "Enterprise")), _c("country"), _c("region"),
        _c("annual_revenue", NUMERIC, min_value=0), _c("employee_count", INTEGER, min_value=0),
        _c("owner_user_id"), _c("created_at", TIMESTAMP), _UPDATED, _DELETED,
    ), ("account_id",), "CRM accounts (companies).", foreign_keys={"owner_user_id": "crm__users.user_id"}),
    Entity("crm", "users", (
        _pk("user_id"), _c("email", nullable=False), _c("full_name"), _c("is_active", BOOLEAN), _UPDATED,
    ), ("user_id",), "CRM logins; mapped to HR employees by normalised email.",
        required_for_night=True),
    Entity("crm", "leads", (
        _pk("lead_id"), _c("company"),
        _c("source", allowed=("inbound", "outbound", "referral", "event", "partner")),
        _c("status", allowed=("new", "working", "qualified", "disqualified", "converted")),
        _c("owner_user_id"), _c("country"), _c("created_at", TIMESTAMP, nullable=False),
        _c("converted_at", TIMESTAMP), _c("converted_opportunity_id"), _c("converted_account_id"),
        _UPDATED, _DELETED,
    ), ("lead_id",), "CRM leads.", ordered_pairs=(("created_at", "converted_at"),)),
    Entity("crm", "opportunities", (
        _pk("opportunity_id"), _c("account_id"), _c("owner_user_id"), _c("opportunity_name"),
        _c("type", allowed=("new_business", "expansion", "renewal")),
        _c("stage", nullable=False, allowed=STAGES), _c("amount", NUMERIC, min_value=0),
        _c("currency"), _c("probability", NUMERIC, min_value=0, max_value=100, digits=3),
        _c("forecast_category", allowed=FORECAST_CATEGORIES), _c("created_at", TIMESTAMP, nullable=False),
        _c("close_date", DATE), _c("closed_at", TIMESTAMP), _c("lead_id"), _c("loss_reason"),
        _UPDATED, _DELETED,
    ), ("opportunity_id",), "CRM opportunities (deals).", required_for_night=True,
        ordered_pairs=(("created_at", "closed_at"),),
        foreign_keys={"owner_user_id": "crm__users.user_id", "account_id": "crm__accounts.account_id"}),
    Entity("crm", "opportunity_history", (
        _pk("history_id"), _c("opportunity_id", nullable=False), _c("stage", allowed=STAGES),
        _c("amount", NUMERIC, min_value=0), _c("currency"),
        _c("probability", NUMERIC, min_value=0, max_value=100, digits=3), _c("close_date", DATE),
        _c("forecast_category", allowed=FORECAST_CATEGORIES),
        _c("changed_at", TIMESTAMP, nullable=False),
    ), ("history_id",), "One row per opportunity change, as Salesforce OpportunityHistory."),
    Entity("crm", "activities", (
        _pk("activity_id"), _c("user_id"), _c("activity_type", allowed=("call", "email", "meeting", "demo")),
        _c("account_id"), _c("opportunity_id"), _c("lead_id"), _c("occurred_at", TIMESTAMP, nullable=False),
        _c("duration_minutes", INTEGER, min_value=0), _UPDATED,
    ), ("activity_id",), "Sales activities."),
    Entity("crm", "fx_rates", (
        _pk("date", DATE), _pk("currency"), _c("rate_to_usd", NUMERIC, nullable=False, min_value=0, digits=10, scale=8),
    ), ("date", "currency"), "Daily exchange rates: 1 unit of currency = rate_to_usd USD.",
        required_for_night=True),
    # --- contracts ---------------------------------------------------------------------
    Entity("contracts", "contracts", (
        _pk("contract_id"), _c("contract_number"), _c("account_id"), _c("opportunity_id"),
        _c("parent_contract_id"),
        _c("status", allowed=("draft", "in_approval", "out_for_signature", "signed", "active",
                              "expired", "terminated", "renewed")),
        _c("start_date", DATE), _c("end_date", DATE), _c("term_months", INTEGER, min_value=0),
        _c("total_contract_value", NUMERIC, min_value=0), _c("annual_contract_value", NUMERIC, min_value=0),
        _c("currency"), _c("auto_renew", BOOLEAN), _c("renewal_notice_days", INTEGER, min_value=0),
        _c("sent_for_signature_at", TIMESTAMP), _c("signed_at", TIMESTAMP), _c("owner_user_id"), _UPDATED,
    ), ("contract_id",), "Contracts from the contract-management system.",
        ordered_pairs=(("start_date", "end_date"), ("sent_for_signature_at", "signed_at"))),
    Entity("contracts", "contract_events", (
        _pk("event_id"), _c("contract_id", nullable=False),
        _c("event_type", allowed=("created", "sent_for_signature", "signed", "activated", "amended",
                                  "renewed", "expired", "terminated")),
        _c("occurred_at", TIMESTAMP, nullable=False),
    ), ("event_id",), "Contract lifecycle events."),
    # --- hr ------------------------------------------------------------------------------
    Entity("hr", "employees", (
        _pk("employee_id"), _c("full_name"), _c("work_email"), _c("personal_email", personal=True), _c("job_title"),
        _c("role", allowed=SALES_ROLES + SALES_OPS_ROLES), _c("department"), _c("manager_employee_id"),
        _c("hire_date", DATE, nullable=False), _c("termination_date", DATE), _c("location"),
        _c("base_salary", NUMERIC, min_value=0, personal=True), _c("salary_currency"), _UPDATED,
    ), ("employee_id",), "HR employees (contains personal data: never published to marts).",
        ordered_pairs=(("hire_date", "termination_date"),),
        required_for_night=True),
    Entity("hr", "territory_assignments", (
        _pk("employee_id"), _pk("territory_id"), _c("territory_name"), _c("region"), _c("segment"),
        _pk("effective_from", DATE), _c("effective_to", DATE),
    ), ("employee_id", "territory_id", "effective_from"), "Which rep covers which territory, over time."),
    Entity("hr", "quotas", (
        _pk("employee_id"), _pk("period_start", DATE), _c("period_end", DATE, nullable=False),
        _c("quota_amount", NUMERIC, nullable=False, min_value=0), _c("currency", nullable=False),
        _pk("quota_type", TEXT),
    ), ("employee_id", "period_start", "quota_type"), "Quarterly bookings quotas per rep.", required_for_night=True,
        ordered_pairs=(("period_start", "period_end"),)),
    Entity("hr", "compensation_plans", (
        _pk("employee_id"), _pk("plan_year", INTEGER), _c("on_target_variable", NUMERIC, min_value=0, personal=True),
        _c("commission_rate", NUMERIC, min_value=0, personal=True, digits=3, scale=6),
        _c("accelerator_threshold", NUMERIC, min_value=0, personal=True, digits=5, scale=4),
        _c("accelerator_multiplier", NUMERIC, min_value=0, personal=True, digits=5, scale=4),
    ), ("employee_id", "plan_year"), "Variable-pay plans (personal data: marts_restricted only)."),
    Entity("hr", "training_completions", (
        _pk("employee_id"), _pk("course_id"), _c("course_name"), _pk("completed_at", TIMESTAMP),
        _c("score", NUMERIC, min_value=0, max_value=100, digits=3),
    ), ("employee_id", "course_id", "completed_at"), "Training courses completed."),
)

SOURCES = ("crm", "contracts", "hr")
# A file that fails in a required source stops the night; the contracts system may lag a night.
REQUIRED_SOURCES = ("crm", "hr")
BY_KEY = {entity.key: entity for entity in ENTITIES}


def entity(source: str, name: str) -> Entity:
    try:
        return BY_KEY[f"{source}__{name}"]
    except KeyError:
        raise KeyError(f"no contract for {source}/{name}.csv; known: {', '.join(sorted(BY_KEY))}") from None


def entities_of(source: str) -> tuple[Entity, ...]:
    return tuple(e for e in ENTITIES if e.source == source)
