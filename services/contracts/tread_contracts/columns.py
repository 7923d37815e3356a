"""Column types of this service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Dialect

from tread_shared.db.types import ExactDecimal


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent notation (10.0000 → 10,
    2.50 → 2.5), so that a percentage or a score reads the same from SQLite and PostgreSQL."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


class PlainDecimal(ExactDecimal):
    """An exact decimal (percentages, scores) read back in its plainest form."""

    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        exact = super().process_result_value(value, dialect)
        return None if exact is None else plain(exact)
