"""Time as int64 seconds since the epoch (UTC), and dates as int64 days, for vectorised work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DAY = 86_400
NULL_TIME = np.iinfo(np.int64).min  # a missing timestamp or date


def day_number(value: date) -> int:
    return (value - date(1970, 1, 1)).days


@dataclass(frozen=True)
class Window:
    """The simulated span: history before the first night, then the nights themselves."""

    first_night: date
    nights: int
    history_days: int = 3 * 365

    @property
    def start(self) -> int:
        """First second of the simulated history."""
        return (day_number(self.first_night) - self.history_days) * DAY

    @property
    def end(self) -> int:
        """First second after the last night's day: nothing happens at or after it."""
        return (day_number(self.first_night) + self.nights) * DAY

    def night_dates(self) -> list[date]:
        return [self.first_night + timedelta(days=i) for i in range(self.nights)]

    def night_cutoff(self, night: date) -> int:
        """An extract dated `night` holds every change made up to the end of that day."""
        return (day_number(night) + 1) * DAY


def sample_times(rng: np.random.Generator, n: int, start: int, end: int, growth: float = 1.0) -> np.ndarray:
    """n times in [start, end) whose density grows linearly (business growth) with a Q4 peak."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # Draw extra candidates and thin them by the target density (rejection sampling).
    draw = int(n * 2.6) + 64
    u = rng.random(draw)
    t = start + (u * (end - start)).astype(np.int64)
    frac = (t - start) / max(end - start, 1)
    density = 1.0 + growth * frac
    month = ((t // DAY) * 12 // 365.2425 % 12).astype(int)  # approximate calendar month 0-11
    density = density * np.where(month >= 9, 1.25, 1.0) * np.where(month == 7, 0.85, 1.0)
    keep = rng.random(draw) * density.max() < density
    kept = t[keep]
    while kept.size < n:  # rare: top up uniformly
        kept = np.concatenate([kept, start + (rng.random(n) * (end - start)).astype(np.int64)])
    return np.sort(kept[:n])


def business_hours(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A time of day between 08:00 and 19:00 on each given day number."""
    return days * DAY + (8 * 3600 + rng.integers(0, 11 * 3600, size=days.size)).astype(np.int64)
