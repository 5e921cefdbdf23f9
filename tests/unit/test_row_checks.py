import pytest

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TIMESTAMP, Column
from salesops.row_checks import value_check


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
