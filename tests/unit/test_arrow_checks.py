"""The fast path's vectorised pre-filter may flag too much (suspects are judged again in Python),
but it must never let through a value the precise checks reject."""

import random

import pyarrow as pa
import pytest

from salesops.contracts import BOOLEAN, DATE, INTEGER, NUMERIC, TIMESTAMP, Column
from salesops.ingest import arrow_checks
from salesops.ingest.row_checks import value_check


def _mutations(base: str, count: int, seed: int) -> list[str | None]:
    """Near misses of a valid value: up to two characters swapped for digits or separators."""
    rng = random.Random(seed)
    values: list[str | None] = []
    for _ in range(count):
        chars = list(base)
        for _ in range(rng.randint(0, 2)):
            chars[rng.randrange(len(chars))] = rng.choice("0123456789-T:Z /+x.e\uff15\u0663\u00a0")
        values.append("".join(chars))
    return values + [None, "", "0000-01-01", "0000-01-01T00:00:00Z", "2023-02-29", "2024-12-31T24:00:00Z",
                     "2026-11-19T08", "2026-11-19T08Z", "2026-11-19 08:30:00,5", "2026-W48-1", "1e999999",
                     "\uff11\uff12", "5000\u00a0", "99999999999999999999", "12345678901234567.5"]


@pytest.mark.parametrize(
    ("type_", "base"),
    [
        (DATE, "2024-02-29"),
        (TIMESTAMP, "2024-02-29T23:59:59Z"),
        (TIMESTAMP, "2026-11-19T08:00:00+02:00"),
        (TIMESTAMP, "2026-11-19"),
        (INTEGER, "-1234"),
        (NUMERIC, "1234.50"),
        (BOOLEAN, "true"),
    ],
)
def test_every_value_the_precise_check_rejects_is_a_suspect(type_, base):
    values = _mutations(base, 20_000, seed=len(base))
    array = pa.array(["pad", *values]).slice(1)  # a sliced array, as Arrow's reader hands them out
    column = Column("c", type_)
    suspects = set(arrow_checks._suspect_rows(array, column))
    check = value_check(column)
    rejected = {i for i, value in enumerate(values) if value and check(value) is not None}
    assert rejected, "the mutations should include invalid values"
    assert rejected <= suspects, [values[i] for i in sorted(rejected - suspects)[:5]]
    # One value at a time, a clean-looking column takes the all-or-nothing cast instead.
    missed = [value for value in values[:3000] if value and check(value) is not None
              and not arrow_checks._suspect_rows(pa.array([value]), column)]
    assert missed == []
