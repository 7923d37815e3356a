"""Dates and times a client may send: ISO 8601 text, years 1900 to 2199.

Python's dates end at year 9999 and begin at year 1: a contract ending ``9999-12-31`` was
stored, and then every computation that went a day past it (renewal notice, compliance period,
partnership report) raised ``OverflowError`` for every reader; ``0001-01-01T00:00:00+14:00``
overflowed on conversion to UTC. Nothing in Tread's business is dated before 1900 or after
2199, and with inputs kept to those years, arithmetic of a few centuries either way cannot
overflow. Numbers are refused too: pydantic reads ``1764237600`` (or ``-100000000000``, as
milliseconds) as a Unix time, which no client means when it writes a date.

Use :data:`PlausibleDate` and :data:`PlausibleDateTime` for every date or time in a request
body or query parameter; :func:`tread_shared.testing.service_checks.assert_inputs_bounded`
checks a service's OpenAPI document for any that are not."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

EARLIEST_YEAR = 1900
LATEST_YEAR = 2199
EARLIEST = date(EARLIEST_YEAR, 1, 1)
LATEST = date(LATEST_YEAR, 12, 31)
# The JSON Schema words for the bounds of a formatted string (ajv's, also read by tools).
DATE_BOUNDS = {"formatMinimum": EARLIEST.isoformat(), "formatMaximum": LATEST.isoformat()}
DATETIME_BOUNDS = {
    "formatMinimum": f"{EARLIEST.isoformat()}T00:00:00Z",
    "formatMaximum": f"{LATEST.isoformat()}T23:59:59Z",
}

D = TypeVar("D", bound=date)

_ISO_DATE_START = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: Any) -> Any:
    """Only ISO 8601 text (or a date already parsed, in Python code) is a date."""
    if isinstance(value, str) and not _ISO_DATE_START.match(value):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD…)")
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 date written as text, not a number")
    return value


def within_plausible_years(value: date) -> bool:
    """Whether ``value`` (a date, or a datetime read in its own offset) is in 1900 to 2199."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def _plausible(value: D) -> D:
    if not within_plausible_years(value):
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


PlausibleDate = Annotated[
    date,
    BeforeValidator(_iso_text),
    AfterValidator(_plausible),
    Field(json_schema_extra=DATE_BOUNDS),
]
"""A calendar date between 1900-01-01 and 2199-12-31, written ``YYYY-MM-DD``."""

PlausibleDateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(_plausible),
    Field(json_schema_extra=DATETIME_BOUNDS),
]
"""A time with its UTC offset, in the years 1900 to 2199, written in ISO 8601."""


PlausibleTime = Annotated[
    datetime,
    BeforeValidator(_iso_text),
    AfterValidator(_plausible),
    Field(json_schema_extra=DATETIME_BOUNDS),
]
"""Like :data:`PlausibleDateTime`, for the few inputs that read a time without an offset as
UTC (kept for the clients that send them)."""


def plausible_datetime(value: datetime) -> bool:
    """Whether a time decoded from somewhere else (a cursor) is one a client could have sent."""
    return value.tzinfo is not None and within_plausible_years(value)
