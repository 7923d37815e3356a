"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Date, DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

from tread_shared.clock import as_utc
from tread_shared.dates import EARLIEST, LATEST

log = logging.getLogger("tread.db")

_EARLIEST_TIME = datetime.combine(EARLIEST, time.min, tzinfo=UTC)
_LATEST_TIME = datetime.combine(LATEST, time.max, tzinfo=UTC)


_D = TypeVar("_D", date, datetime)


def _saturated(value: _D, earliest: _D, latest: _D) -> _D:
    """``value`` brought into the years the API accepts (1900 to 2199). A row written before
    those bounds (a contract ending 9999-12-31) once made every computation a day past it
    overflow for every reader; read this way, it stays readable and its arithmetic safe."""
    if earliest <= value <= latest:
        return value
    bound = earliest if value < earliest else latest
    log.warning("stored date %s outside 1900-2199 read as %s", value.isoformat(), bound)
    return bound


class BoundedDate(TypeDecorator[date]):
    """A calendar date, read back within 1900-01-01 to 2199-12-31 (see :func:`_saturated`)."""

    impl = Date
    cache_ok = True

    def process_result_value(self, value: date | None, dialect: Dialect) -> date | None:
        return None if value is None else _saturated(value, EARLIEST, LATEST)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp; SQLite's naive values are read back as UTC, and within
    the years 1900 to 2199 (see :func:`_saturated`)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return _saturated(as_utc(value), _EARLIEST_TIME, _LATEST_TIME)


def plain_decimal(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent notation (10.0000 → 10,
    2.50 → 2.5), so that a stored decimal reads the same from SQLite and PostgreSQL."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept exactly: NUMERIC on PostgreSQL, text on SQLite (which has no decimal).

    Read back in its plainest form on both (``75``, not ``75.0000`` on PostgreSQL); amounts get
    their decimals back from :class:`tread_shared.money.Money`."""

    impl = Numeric(20, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 4, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return plain_decimal(Decimal(str(value)))
