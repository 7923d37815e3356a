"""Calendar periods for the investment control: a year (``2026``), a quarter (``2026-Q4``) or a
month (``2026-11``), in the service's business time zone (``ACCOUNTS_BUSINESS_TIMEZONE``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    label: str
    starts_at: datetime
    ends_at: datetime
    share_of_year: Decimal


def _start(year: int, month: int, zone: ZoneInfo) -> datetime:
    if month > 12:
        year, month = year + 1, month - 12
    return datetime(year, month, 1, tzinfo=zone).astimezone(UTC)


def parse_period(label: str, zone: ZoneInfo) -> Period:
    """The period ``label`` names; ``ValueError`` when it names none."""
    match = _PERIOD.match(label)
    if match is None or not 2000 <= int(match["year"]) <= 2100:
        raise ValueError("a period is a year (2026), a quarter (2026-Q4) or a month (2026-11)")
    year = int(match["year"])
    if match["quarter"]:
        first, months = (int(match["quarter"]) - 1) * 3 + 1, 3
    elif match["month"]:
        first, months = int(match["month"]), 1
    else:
        first, months = 1, 12
    return Period(
        label=label,
        starts_at=_start(year, first, zone),
        ends_at=_start(year, first + months, zone),
        share_of_year=Decimal(months) / Decimal(12),
    )


def current_year(zone: ZoneInfo, now: datetime) -> Period:
    return parse_period(str(now.astimezone(zone).year), zone)
