"""Indicator periods: a month (``2027-03``) or a quarter (``2027-Q1``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

Granularity = Literal["month", "quarter"]
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
PERIOD_PATTERN = r"^\d{4}-(Q[1-4]|0[1-9]|1[0-2])$"


def granularity_of(period: str) -> Granularity:
    return "quarter" if QUARTER.match(period) else "month"


def period_of(day: date, granularity: str) -> str:
    """The period of ``granularity`` holding ``day``."""
    if granularity == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


# Remembered: an event batch asks for the same few periods for each of its hundreds of
# readings (does the period overlap the plan, which period holds the month).
@lru_cache(maxsize=4096)
def bounds(period: str) -> tuple[date, date]:
    """The first and last day of ``period``."""
    quarter = QUARTER.match(period)
    if quarter:
        year, number = int(quarter.group(1)), int(quarter.group(2))
        first = date(year, 3 * number - 2, 1)
        months = 3
    else:
        month = MONTH.match(period)
        if month is None:
            raise ValueError(f"not a period: {period!r}")
        first = date(int(month.group(1)), int(month.group(2)), 1)
        months = 1
    year, month_index = divmod(first.month - 1 + months, 12)
    return first, date(first.year + year, month_index + 1, 1) - timedelta(days=1)


@lru_cache(maxsize=4096)
def of_month(month: str, granularity: str) -> str:
    """The period of ``granularity`` holding the month ``2027-03``."""
    return period_of(bounds(month)[0], granularity)


def overlaps(period: str, start: date, end: date) -> bool:
    first, last = bounds(period)
    return first <= end and last >= start
