"""Great Expectations suites, generated from the source contracts and the mart definitions.

Raw suites check the night's batch through typed audit views (`audit.raw__<source>__<entity>`);
mart suites check the private build schema before publish. Severities and thresholds come
from expectations/thresholds.yml, so they are configuration, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from salesops.config import FALSE_WORDS, PROJECT_DIR, TRUE_WORDS
from salesops.contracts import (
    BOOLEAN,
    DATE,
    ENTITIES,
    INTEGER,
    NUMERIC,
    TIMESTAMP,
    Column,
    Entity,
)

AUDIT_SCHEMA = "audit"


@dataclass(frozen=True)
class MartChecks:
    """What the gate checks on one published table before it may be swapped into marts."""

    table: str
    grain: tuple[str, ...]
    not_null: tuple[str, ...] = ()
    rates: tuple[str, ...] = ()  # fractions that must lie in [0, 1]
    non_negative: tuple[str, ...] = ()
    # An incremental fact's column naming the night that wrote a row: the gate checks that night's rows
    # only, through an audit view (the others were checked the night they were written; the grain is
    # kept by dbt's delete+insert on it). Checking every row would scan the big facts whole every night.
    night_column: str | None = None
    # A table whose night rows replace a whole partition before its select (kpi_activity's weeks, by_period),
    # not by dbt's delete+insert on the grain: the gate checks every row of the partitions (this column's
    # values) the night wrote, so a partition written without its old rows deleted shows as a duplicate.
    night_partition: str | None = None


# The marts a night always fills unless their inputs are empty (SPEC section 5: a KPI may be empty only because
# its inputs are): mart -> (a query counting its input's rows, with {night}; what an empty input means). Judged
# by the emptiness suite against their inputs, not against a fixed expectation that they have rows; any other
# mart may legitimately be empty (no open deals tonight, no closed forecast period yet).
FILLED_FROM = {
    **dict.fromkeys(("kpi_quota_attainment", "kpi_quota_attainment_rate"), (
        "select count(*) from staging.stg_hr__quotas where quota_type = 'bookings'",
        "hr/quotas holds no bookings quota (SPEC section 5: the quota KPIs stay empty, the rest publishes)")),
    "fct_opportunities": (
        "select count(*) from staging.stg_crm__opportunities"
        " where is_deleted is not true and cast(created_at as date) <= '{night}'",
        "crm/opportunities holds no deal created by the night"),
    "kpi_win_rate": (
        "select count(*) from staging.stg_crm__opportunities where is_deleted is not true"
        " and stage in ('closed_won', 'closed_lost') and closed_at is not null"
        " and cast(closed_at as date) <= '{night}' and cast(created_at as date) <= '{night}'",
        "no deal has closed by the night"),
    **dict.fromkeys(("kpi_crm_hygiene", "dim_date"), ("select 1", "it is never empty")),
}
MARTS_MODELS_DIR = PROJECT_DIR / "dbt_project" / "models" / "marts"


def _between(test: object) -> tuple[float | None, float | None] | None:
    if isinstance(test, dict) and "between" in test:
        arguments = test["between"].get("arguments", test["between"])
        return arguments.get("min_value"), arguments.get("max_value")
    return None


def _has_test(tests: list, name: str) -> bool:
    """A column's test list names the test, bare (`unique`) or with arguments or config (`unique: {...}`)."""
    return any(test == name or (isinstance(test, dict) and name in test) for test in tests)


def mart_checks_from_dbt(models_dir: Path = MARTS_MODELS_DIR) -> tuple[MartChecks, ...]:
    """One MartChecks per published mart, read from the dbt YAML beside its SQL (the grain from its
    unique / unique_combination test, not-null from its contract, rates and non-negative amounts from
    its `between` tests), so the gate and the models cannot drift apart."""
    checks = []
    for path in sorted(models_dir.rglob("_*__models.yml")):
        if path.parent.name == "restricted":
            continue  # per-person pay (marts_restricted) is gated by dbt's tests, not by a BI-facing suite
        for model in yaml.safe_load(path.read_text()).get("models", []):
            grain: tuple[str, ...] = ()
            for test in model.get("data_tests", []):
                if isinstance(test, dict) and "unique_combination" in test:
                    grain = tuple(test["unique_combination"]["arguments"]["columns"])
            not_null, rates, non_negative = [], [], []
            for column in model.get("columns", []):
                name, tests = column["name"], column.get("data_tests", [])
                if _has_test(tests, "unique") and not grain:
                    grain = (name,)
                constrained = any(c.get("type") == "not_null" for c in column.get("constraints", []))
                if constrained or _has_test(tests, "not_null"):
                    not_null.append(name)
                for bounds in filter(None, map(_between, tests)):
                    (rates if bounds == (0, 1) else non_negative if bounds == (0, None) else []).append(name)
            meta = model.get("config", {}).get("meta", {})
            night_column = meta.get("gate_checks_rows_where_night_is")
            checks.append(MartChecks(model["name"], grain, tuple(c for c in not_null if c not in grain),
                                     tuple(rates), tuple(non_negative), night_column,
                                     meta.get("gate_checks_every_row_of_the_nights")))
    return tuple(checks)


MARTS: tuple[MartChecks, ...] = mart_checks_from_dbt()

# dbt's generic tests whose check a mart suite makes too, and the rule (severity) the suite gives it.
_GATE_RULES = {"unique": "mart_grain_unique", "unique_combination": "mart_grain_unique",
               "not_null": "mart_grain_unique", "between": "mart_rate_range"}


def _gate_repeats(mart: MartChecks, test: str, kwargs: dict) -> bool:
    if test == "unique":
        return (kwargs.get("column_name"),) == mart.grain
    if test == "unique_combination":
        return tuple(kwargs.get("columns") or ()) == mart.grain
    if test == "not_null":
        return kwargs.get("column_name") in (*mart.grain, *mart.not_null)
    bounds = (kwargs.get("min_value"), kwargs.get("max_value"))
    column = kwargs.get("column_name")
    return (bounds == (0, 1) and column in mart.rates) or (bounds == (0, None) and column in mart.non_negative)


def tests_the_mart_gate_repeats(manifest: dict, gx_root: Path) -> list[str]:
    """Names of the dbt tests on the marts whose check the mart gate makes again on the same build
    schema before publish, as strictly (critical, on the same rows): the grain, not-null and [0, 1] /
    >= 0 tests. The nightly build leaves them out, so each runs once a night (in the gate), not twice;
    `dbt build` or `dbt test` run by hand still run them."""
    severity = load_thresholds(gx_root)["severity"]
    marts = {m.table: m for m in MARTS}
    names = []
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        rule = _GATE_RULES.get(metadata.get("name"))
        mart = marts.get((node.get("attached_node") or "").rpartition(".")[2])
        if node["resource_type"] != "test" or rule is None or mart is None or node["config"].get("where"):
            continue
        kwargs = metadata.get("kwargs") or {}
        # a fact the gate checks on the night's rows only: its whole-table dbt tests stay (a full
        # refresh rewrites every row); one scoped to the same night column is the gate's twin
        if mart.night_column and kwargs.get("night_batch_column") != mart.night_column:
            continue
        if severity[rule] == "critical" and _gate_repeats(mart, metadata["name"], kwargs):
            names.append(node["name"])
    return sorted(names)


# Cross-table checks, as audit views the gate creates for the night: raw against the ledger, the
# build's marts against staging.
LEDGER_SUITE = "raw__ledger_balance"
RECONCILIATION_SUITE = "marts__reconciliation"
FRESHNESS_SUITE = "marts__freshness"
EMPTINESS_SUITE = "marts__emptiness"
CHECK_SUITES = (RECONCILIATION_SUITE, FRESHNESS_SUITE, EMPTINESS_SUITE)  # cross-table: audit relations


def raw_suite_name(entity: Entity) -> str:
    return f"raw__{entity.key}"


def mart_suite_name(mart: MartChecks) -> str:
    return f"marts__{mart.table}"


def load_thresholds(gx_root: Path) -> dict:
    with (gx_root / "thresholds.yml").open() as handle:
        return yaml.safe_load(handle)


def _expectation(kind: str, rule: str, thresholds: dict, **kwargs: object) -> dict:
    """One expectation as the plain dict GX stores in a suite file (defaults left out, as GX does)."""
    kwargs = {k: v for k, v in kwargs.items() if v is not None and not (k == "mostly" and v == 1)}
    return {"type": kind, "kwargs": kwargs, "severity": thresholds["severity"][rule], "meta": {"rule": rule}}


def raw_suite_expectations(entity: Entity, thresholds: dict) -> list[dict]:
    t = thresholds
    out: list[dict] = []
    for name in entity.primary_key:
        out.append(_expectation("expect_column_values_to_not_be_null", "primary_key_not_null", t, column=name))
    key_share = t["primary_key_unique_min_share"]
    if len(entity.primary_key) == 1:
        out.append(_expectation("expect_column_values_to_be_unique", "primary_key_unique", t,
                                column=entity.primary_key[0], mostly=key_share))
    else:
        out.append(_expectation("expect_compound_columns_to_be_unique", "primary_key_unique", t,
                                column_list=list(entity.primary_key), mostly=key_share))
    for col in entity.columns:
        if not col.nullable and col.name not in entity.primary_key:
            out.append(_expectation("expect_column_values_to_not_be_null", "required_not_null", t, column=col.name))
        if col.allowed:
            out.append(_expectation("expect_column_values_to_be_in_set", "allowed_values", t, column=col.name,
                                    value_set=list(col.allowed), mostly=t["allowed_values_min_share"]))
        if col.min_value is not None or col.max_value is not None:
            out.append(_expectation("expect_column_values_to_be_between", "range", t, column=col.name,
                                    min_value=col.min_value, max_value=col.max_value, mostly=t["range_min_share"]))
    for earlier, later in entity.ordered_pairs:
        out.append(_expectation("expect_column_pair_values_a_to_be_greater_than_b", "dates_in_order", t,
                                column_A=later, column_B=earlier, or_equal=True,
                                ignore_row_if="either_value_is_missing", mostly=t["dates_in_order_min_share"]))
    return out


def mart_suite_expectations(mart: MartChecks, thresholds: dict) -> list[dict]:
    t = thresholds
    out = []  # whether it may be empty is the emptiness suite's question (FILLED_FROM)
    if len(mart.grain) == 1:
        out.append(_expectation("expect_column_values_to_be_unique", "mart_grain_unique", t, column=mart.grain[0]))
    else:
        out.append(_expectation("expect_compound_columns_to_be_unique", "mart_grain_unique", t,
                                column_list=list(mart.grain)))
    for name in (*mart.grain, *mart.not_null):
        out.append(_expectation("expect_column_values_to_not_be_null", "mart_grain_unique", t, column=name))
    for name in mart.rates:
        out.append(_expectation("expect_column_values_to_be_between", "mart_rate_range", t, column=name,
                                min_value=0, max_value=1))
    for name in mart.non_negative:
        out.append(_expectation("expect_column_values_to_be_between", "mart_rate_range", t, column=name,
                                min_value=0, max_value=None))
    return out


def check_suite_expectations(thresholds: dict) -> dict[str, list[dict]]:
    """The cross-table checks: raw rows vs the ledger, reconciliations (marts vs staging), freshness."""
    t = thresholds
    tolerance = t["reconciliation_tolerance_usd"]
    return {
        LEDGER_SUITE: [
            _expectation("expect_table_row_count_to_equal", "ledger_balance", t, value=len(ENTITIES)),
            # every extract has its ledger row tonight (loaded, failed or missing): none went unrecorded
            _expectation("expect_column_values_to_not_be_null", "ledger_balance", t, column="ledger_rows_loaded"),
            _expectation("expect_column_values_to_be_between", "ledger_balance", t, column="difference",
                         min_value=0, max_value=0),
        ],
        RECONCILIATION_SUITE: [
            _expectation("expect_table_row_count_to_be_between", "mart_reconciliation", t, min_value=4, max_value=4),
            _expectation("expect_column_values_to_be_between", "mart_reconciliation", t, column="difference",
                         min_value=-tolerance, max_value=tolerance),
        ],
        FRESHNESS_SUITE: [
            _expectation("expect_column_values_to_be_between", "mart_freshness", t,
                         column="days_since_last_change", min_value=0, max_value=t["freshness_max_days"]),
        ],
        EMPTINESS_SUITE: [
            _expectation("expect_table_row_count_to_equal", "mart_not_empty", t, value=len(FILLED_FROM)),
            # empty while its input has rows: a defect, the night stops
            _expectation("expect_column_values_to_be_between", "mart_not_empty", t, column="empty_without_cause",
                         min_value=0, max_value=0),
            # empty because its input is: published, with a warning that says why
            _expectation("expect_column_values_to_be_null", "mart_empty_input", t, column="empty_because"),
        ],
    }


def all_suites(gx_root: Path) -> dict[str, list[dict]]:
    """Suite name -> expectations, for every raw table, every checked mart and the cross-table checks."""
    thresholds = load_thresholds(gx_root)
    suites = {raw_suite_name(e): raw_suite_expectations(e, thresholds) for e in ENTITIES}
    suites.update({mart_suite_name(m): mart_suite_expectations(m, thresholds) for m in MARTS})
    suites.update(check_suite_expectations(thresholds))
    return suites


def ledger_balance_view_sql(night: str) -> str:
    """One row per extract: rows in the night's raw batch against rows_loaded in meta.load_ledger (null
    when the ledger has no row for it tonight)."""
    night = night.replace("'", "")
    rows = [
        f"select '{e.source}/{e.name}.csv' as file_name,"
        f" (select rows_loaded from meta.load_ledger where night = '{night}' and source = '{e.source}'"
        f" and entity = '{e.name}') as ledger_rows_loaded,"
        f" (select count(*) from raw.{e.key} where _batch_id = '{night}') as raw_rows"
        for e in ENTITIES
    ]
    return (f"create or replace view {AUDIT_SCHEMA}.{LEDGER_SUITE} as select file_name, ledger_rows_loaded, raw_rows,"
            f" raw_rows - ledger_rows_loaded as difference from ({' union all '.join(rows)}) as files")


def _computed_once(name: str, select_sql: str) -> list[str]:
    """An audit relation kept as a table of its few rows: GX reads a relation twice per expectation
    (the counts, then the bad values), and these scan whole marts, which a view would do at every read.
    Replaces a view of the same name left by an older release."""
    relation = f"{AUDIT_SCHEMA}.{name}"
    return [
        f"""do $$ begin
            if exists (select from pg_class where oid = to_regclass('{relation}') and relkind = 'v') then
                drop view {relation};
            end if;
        end $$""",
        f"drop table if exists {relation}",
        f"create table {relation} as {select_sql}",
    ]


def mart_check_views_sql(night: str, build_schema: str, written_whole: frozenset[str] = frozenset()) -> list[str]:
    """The audit views the cross-table suites and the night-sliced facts validate, for the night's build.

    Night slices: the rows of an incremental fact its `night_column` dates to the night, or every row of
    the partitions (`night_partition`) those rows are in.

    `written_whole`: the facts whose every row the night wrote (a full build, see
    facts_written_whole); their views read the table as it is.

    Reconciliation: the won deals and their USD in the win-rate KPI against staging and the
    enriched opportunities, forecast accuracy's actuals against the win-rate KPI's bookings, and
    tonight's pipeline snapshot against the open deals. Emptiness: each FILLED_FROM mart against its input. Freshness:
    whole days from the newest opportunity change to the night.
    """
    night = night.replace("'", "")
    won_in_staging = (
        "select count(*) from staging.stg_crm__opportunities where stage = 'closed_won' and is_deleted is not true"
        f" and closed_at is not null and cast(closed_at as date) <= '{night}' and cast(created_at as date) <= '{night}'"
    )
    return [
        *_computed_once(RECONCILIATION_SUITE, f"""
        with checks as (
            select 'won_deals' as check_name,
                (select coalesce(sum(won_deals), 0) from {build_schema}.kpi_win_rate
                 where period_type = 'quarter' and dimension = 'all')::numeric as marts_value,
                ({won_in_staging})::numeric as staged_value
            union all
            select 'won_bookings_usd',
                (select coalesce(sum(won_usd), 0) from {build_schema}.kpi_win_rate
                 where period_type = 'quarter' and dimension = 'all'),
                (select coalesce(sum(amount_usd), 0) from intermediate.int_opportunities_enriched
                 where is_won and closed_date <= '{night}')
            union all
            select 'forecast_actuals_usd',
                (select coalesce(sum(actual_usd), 0) from (select distinct period_start, actual_usd
                 from {build_schema}.kpi_forecast_accuracy where period_type = 'quarter' and scope = 'company')
                 as actuals),
                (select coalesce(sum(won_usd), 0) from {build_schema}.kpi_win_rate
                 where period_type = 'quarter' and dimension = 'all' and period_start in (select period_start
                 from {build_schema}.kpi_forecast_accuracy where period_type = 'quarter' and scope = 'company'))
            union all
            select 'pipeline_snapshot_deals',
                (select count(*) from {build_schema}.fct_pipeline_daily where snapshot_date = '{night}')::numeric,
                (select count(*) from {build_schema}.fct_opportunities where not is_closed)::numeric
        )
        select check_name, marts_value, staged_value, marts_value - staged_value as difference from checks"""),
        *_computed_once(EMPTINESS_SUITE, " union all ".join(
            f"select '{table}' as table_name,"
            f" (select count(*) from (select from {build_schema}.{table} limit 1) as any_row) as mart_rows,"
            f" ({count.format(night=night)}) as input_rows,"
            f" case when not exists (select from {build_schema}.{table}) and ({count.format(night=night)}) > 0"
            f" then 1 else 0 end as empty_without_cause,"
            f" case when not exists (select from {build_schema}.{table}) then '{table} is empty: {cause}' end"
            f" as empty_because"
            for table, (count, cause) in FILLED_FROM.items())),
        *_computed_once(FRESHNESS_SUITE, f"""
        select '{night}'::date - max(cast(updated_at as date)) as days_since_last_change
        from {build_schema}.fct_opportunities"""),
        *(_night_slice_view(mart, build_schema, night, mart.table in written_whole)
          for mart in MARTS if mart.night_column),
    ]


def _night_slice_view(mart: MartChecks, build_schema: str, night: str, written_whole: bool) -> str:
    """The audit view of a fact's night slice. On an incremental night the night's rows are a subquery
    of their own (`offset 0` keeps Postgres from merging it into the reading query), so every plan starts
    from them: merged, GX's sample of duplicated keys ("... over (partition by key) ... limit 20") walked
    the key index of the whole fact hoping for 20 early rows and found none, far slower than starting
    from the night's few rows. When the night wrote the whole table that index walk is the cheap way to
    read every row in key order (cheaper than sorting them), so the view is left for Postgres to merge."""
    relation = f"{AUDIT_SCHEMA}.{mart_suite_name(mart)}"
    rows = f"select * from {build_schema}.{mart.table} where {_night_rows(mart, build_schema, night)}"
    # dropped first: `create or replace` cannot follow a mart whose columns changed (an upgrade)
    if written_whole:
        return f"drop view if exists {relation};\ncreate view {relation} as\n        {rows}"
    return (f"drop view if exists {relation};\ncreate view {relation} as\n        select * from (\n"
            f"            {rows} offset 0\n        ) as night_rows")


def facts_written_whole(cursor, build_schema: str, night: str) -> frozenset[str]:  # noqa: ANN001 - a DB-API cursor
    """The night-sliced facts with no row from before the night (each probe one step of its night index)."""
    whole = set()
    for mart in MARTS:
        if mart.night_column:
            cursor.execute(f"select not exists (select from {build_schema}.{mart.table}"
                           f" where {mart.night_column} < %s)", (night,))
            if cursor.fetchone()[0]:
                whole.add(mart.table)
    return frozenset(whole)


def _night_rows(mart: MartChecks, build_schema: str, night: str) -> str:
    written = f"{mart.night_column} = '{night}'"
    if not mart.night_partition:
        return written
    # an array, not `in (select ...)`: Postgres guessed every partition written and merge-joined the
    # whole index each time an expectation read the view
    return (f"{mart.night_partition} = any(array(select distinct written.{mart.night_partition}"
            f" from {build_schema}.{mart.table} as written where written.{written}))")


_SQL_TYPES = {INTEGER: "bigint", NUMERIC: "numeric", DATE: "date", TIMESTAMP: "timestamptz"}


def typed_sql(column: Column) -> str:
    """A raw text column as its contract's type (the audit views' and the failing-lines queries' reading)."""
    ident = f'"{column.name}"'
    if column.type == BOOLEAN:
        return (f"case when lower(trim({ident})) in ({', '.join(map(_literal, TRUE_WORDS))}) then true "
                f"when lower(trim({ident})) in ({', '.join(map(_literal, FALSE_WORDS))}) then false end")
    if column.type in _SQL_TYPES:
        return f"cast(nullif(trim({ident}), '') as {_SQL_TYPES[column.type]})"
    return ident


def audit_view_sql(entity: Entity, night: str) -> str:
    """A typed view of one night's batch, which the raw suite validates."""
    selects = [f'{typed_sql(col)} as "{col.name}"' for col in entity.columns]
    night_literal = night.replace("'", "")
    return (
        f"drop view if exists {AUDIT_SCHEMA}.raw__{entity.key};\n"  # its columns follow the contract's
        f"create view {AUDIT_SCHEMA}.raw__{entity.key} as select {', '.join(selects)} "
        f"from raw.{entity.key} where _batch_id = '{night_literal}'"
    )


def _literal(value: object) -> str:
    """A SQL literal inside a query that psycopg2 formats (its % doubled)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    return repr(float(value))


def failing_lines_sql(entity: Entity, expectation: str, kwargs: dict, limit: int = 5) -> str | None:
    """The query (one parameter: the night) for the file lines of the rows a failed raw check counted, so a
    warning names file, line and column; None for a check that is not about rows."""
    def typed(name: str) -> str:
        return typed_sql(entity.column(name))

    column = kwargs.get("column")
    if expectation == "expect_column_values_to_not_be_null":
        condition = f"{typed(column)} is null"
    elif expectation == "expect_column_values_to_be_in_set":
        condition = f"{typed(column)} not in ({', '.join(_literal(v) for v in kwargs['value_set'])})"
    elif expectation == "expect_column_values_to_be_between":
        bounds = [f"{typed(column)} < {_literal(kwargs['min_value'])}" if kwargs.get("min_value") is not None else "",
                  f"{typed(column)} > {_literal(kwargs['max_value'])}" if kwargs.get("max_value") is not None else ""]
        condition = " or ".join(b for b in bounds if b)
    elif expectation == "expect_column_pair_values_a_to_be_greater_than_b":
        condition = f"{typed(kwargs['column_A'])} {'<' if kwargs.get('or_equal') else '<='} {typed(kwargs['column_B'])}"
    elif expectation in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        names = ", ".join(typed(name) for name in kwargs.get("column_list") or [column])
        condition = (f"({names}) in (select {names} from raw.{entity.key} where _batch_id = %(night)s"
                     f" group by {names} having count(*) > 1)")
    else:
        return None
    return (f"select _line_number from raw.{entity.key} where _batch_id = %(night)s and ({condition})"
            f" order by 1 limit {int(limit)}")
