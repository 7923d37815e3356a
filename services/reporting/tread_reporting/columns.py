"""Column types of the read models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Dialect, func, type_coerce
from sqlalchemy.types import TypeDecorator

SCALE = 10_000
CENT = Decimal("0.01")


class ScaledAmount(TypeDecorator[Decimal]):
    """An amount kept as an integer count of ten-thousandths, so that ``SUM`` is exact on
    SQLite too (which would add the house's text decimals as floats). Up to 9.2e14."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * SCALE).to_integral_value())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # The point moved by four places (exact, as dividing by SCALE was, at half the cost:
        # every amount and score of a read goes through here).
        return Decimal(int(value)).scaleb(-4).quantize(CENT)


def total(column: Any) -> ColumnElement[Decimal]:
    """``SUM(column)`` read back as a Decimal amount (0 when there is nothing to add)."""
    return type_coerce(func.coalesce(func.sum(column), 0), ScaledAmount)
