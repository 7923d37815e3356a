"""Calendar arithmetic for contract periods and commitment periods (``2027``, ``2027-Q1``,
``2027-03``)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months``, clamped to the end of a shorter month."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a year, quarter or month period."""
    year = int(period[:4])
    if len(period) == 4:
        return date(year, 1, 1), date(year, 12, 31)
    if period[5] == "Q":
        first = date(year, (int(period[6]) - 1) * 3 + 1, 1)
        return first, add_months(first, 3) - timedelta(days=1)
    first = date(year, int(period[5:7]), 1)
    return first, add_months(first, 1) - timedelta(days=1)


def shift_period(period: str, years: int) -> str:
    return f"{int(period[:4]) + years}{period[4:]}"


def months_of(period: str) -> list[str]:
    """The ``YYYY-MM`` months a period covers (sell-in is recorded per month)."""
    first, last = period_bounds(period)
    months = []
    day = first
    while day <= last:
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = add_months(day, 1)
    return months


def next_period(start: date, end: date) -> tuple[date, date]:
    """The period following ``start``-``end`` and as long: whole months stay whole months
    (2027-01-01-2027-12-31 → 2028-01-01-2028-12-31), otherwise the same number of days."""
    new_start = end + timedelta(days=1)
    if new_start.day == start.day:
        months = (new_start.year - start.year) * 12 + new_start.month - start.month
        return new_start, add_months(new_start, months) - timedelta(days=1)
    return new_start, new_start + (end - start)
