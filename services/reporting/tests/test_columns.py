"""Amounts kept as ten-thousandths read back as the amounts, to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql

from tread_reporting.columns import ScaledAmount

DIALECT = postgresql.dialect()


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (0, "0.00"),
        (605_000, "60.50"),
        (-12_345, "-1.23"),
        (50, "0.00"),  # half a cent: to the even cent, as before
        (150, "0.02"),
        (9_200_000_000_000_000_000, "920000000000000.00"),
    ],
)
def test_a_stored_amount_reads_back_to_the_cent(stored: int, read: str) -> None:
    amount = ScaledAmount().process_result_value(stored, DIALECT)
    assert str(amount) == read
    assert ScaledAmount().process_bind_param(Decimal(read), DIALECT) == int(Decimal(read) * 10_000)
    assert ScaledAmount().process_result_value(None, DIALECT) is None
