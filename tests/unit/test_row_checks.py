import pytest

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TIMESTAMP, Column
from salesops.ingest.row_checks import value_check


@pytest.mark.parametrize(
    ("type_", "good", "bad"),
    [
        (INTEGER, ["0", "-12", " 42 "], ["1.5", "12a", "one"]),
        (NUMERIC, ["0", "12.50", "-3", ".5", "1e6"], ["abc", "1,000", "12.3.4", "$5"]),
        (BOOLEAN, ["true", "FALSE", "t", "0", "yes"], ["maybe", "2"]),
        (DATE, ["2026-11-21", "2024-02-29"], ["2026-13-01", "21/11/2026", "2026-02-30", "2026-11-21T00:00:00"]),
        (
            TIMESTAMP,
            ["2026-11-21T10:00:00Z", "2026-11-21T10:00:00+02:00", "2026-11-21"],
            ["yesterday", "2026-11-31T00:00:00Z"],
        ),
    ],
)
def test_type_checks_accept_good_values_and_say_what_was_expected(type_, good, bad):
    check = value_check(Column("c", type_))
    for value in good:
        assert check(value) is None, value
    for value in bad:
        reason = check(value)
        assert reason is not None and reason.startswith("expected") and repr(value) in reason


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (Column("c", NUMERIC), "\uff11\uff10\uff19\uff12\uff10\uff10"),  # fullwidth digits: Python's \d, not Postgres'
        (Column("c", NUMERIC), "\u0663\u0660\u0660\u0660"),  # Arabic-Indic digits
        (Column("c", NUMERIC), "5000\u00a0"),  # a no-break space Postgres does not trim
        (Column("c", NUMERIC), "1e999999"),  # overflows numeric
        (Column("c", NUMERIC), "10000000000000000"),  # 1e16: overflows staging's numeric(18, 2)
        (Column("c", NUMERIC, digits=3), "1000"),  # a probability staging keeps as numeric(5, 2)
        (Column("c", NUMERIC, digits=3), "999.999"),  # rounds to 1000.00
        (Column("c", INTEGER), "9223372036854775808"),  # past bigint
        (Column("c", INTEGER), "\uff14\uff12"),
        (Column("c", DATE), "\uff12\uff10\uff12\uff16-11-21"),
        (Column("c", TIMESTAMP), "2026-11-19T08"),  # an hour without minutes: Python and Arrow read it, Postgres not
        (Column("c", TIMESTAMP), "2026-11-19T08Z"),
        (Column("c", TIMESTAMP), "2026-11-19 08:30:00,5"),  # a comma fraction
        (Column("c", TIMESTAMP), "2026-W48-1"),  # an ISO week date
    ],
)
def test_values_python_reads_but_the_warehouse_refuses_are_rejected(column, value):
    """Every value these checks pass is one staging can cast (a value it cannot would stop every later night)."""
    assert value_check(column)(value) is not None


def test_the_numeric_digits_in_the_contracts_are_the_ones_staging_casts_to():
    """Each numeric(p, s) cast of a raw column in staging is the contract's numeric(digits + scale, scale)."""
    import re

    from salesops.config import PROJECT_DIR
    from salesops.contracts import ENTITIES

    for entity in ENTITIES:
        sql = (PROJECT_DIR / "dbt_project" / "models" / "staging" / entity.source
               / f"stg_{entity.source}__{entity.name}.sql").read_text()
        code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        for column in entity.columns:
            if column.type != NUMERIC or column.name not in code:  # not staged (personal data stops at raw)
                continue
            casts = re.findall(rf"cast\((?:nullif\(trim\()?{column.name}(?:\), '')?\)? as numeric\((\d+), (\d+)\)",
                               sql)
            assert casts, (entity.key, column.name)
            assert {(int(p) - int(s), int(s)) for p, s in casts} == {(column.digits, column.scale)}, \
                (entity.key, column.name, casts)
