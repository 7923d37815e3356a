"""Periods the business speaks of: a year (``2027``), a quarter (``2026-Q4``), a month
(``2026-11``). Commitments are per period; central-office reports are per month or quarter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from typing import Literal

PeriodKind = Literal["year", "quarter", "month"]

_PATTERNS: list[tuple[PeriodKind, re.Pattern[str]]] = [
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    key: str
    kind: PeriodKind
    start: date
    end: date  # exclusive

    @classmethod
    def parse(cls, key: str) -> Period | None:
        """The period ``key`` names, or ``None`` when it names none."""
        return _parse(key)

    @classmethod
    def _parse(cls, key: str) -> Period | None:
        for kind, pattern in _PATTERNS:
            found = pattern.match(key.strip())
            if found is None:
                continue
            year = int(found.group(1))
            if not 1900 <= year <= 9999:
                return None
            if kind == "month":
                start, months = date(year, int(found.group(2)), 1), 1
            elif kind == "quarter":
                start, months = date(year, 3 * int(found.group(2)) - 2, 1), 3
            else:
                start, months = date(year, 1, 1), 12
            return cls(key.strip(), kind, start, _add_months(start, months))
        return None

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls("", "month", day.replace(day=1), _add_months(day.replace(day=1), 1)).named()

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return cls("", "quarter", start, _add_months(start, 3)).named()

    def named(self) -> Period:
        if self.kind == "month":
            key = f"{self.start.year}-{self.start.month:02d}"
        elif self.kind == "quarter":
            key = f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        else:
            key = str(self.start.year)
        return Period(key, self.kind, self.start, self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @cached_property
    def months(self) -> tuple[str, ...]:
        """``YYYY-MM`` of every month in the period."""
        count = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        return tuple(
            f"{month.year}-{month.month:02d}"
            for month in (_add_months(self.start, i) for i in range(count))
        )

    @cached_property
    def month_set(self) -> frozenset[str]:
        return frozenset(self.months)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.end, time(), tzinfo=UTC)

    def previous(self) -> Period:
        months = len(self.months)
        return Period("", self.kind, _add_months(self.start, -months), self.start).named()


@cache
def _parse(key: str) -> Period | None:
    # Commitments name the same few periods over and over.
    return Period._parse(key)
