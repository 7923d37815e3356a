"""Value types shared by the market-intel API's schemas: bounded strings, prices."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, StringConstraints

from tread_shared.currencies import known_currency
from tread_shared.money import Money

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ProductCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][\w./\-]*$"
    ),
]
UsageType = Literal[
    "long_haul", "regional", "urban", "construction", "agriculture", "off_road", "mixed"
]


def _price(value: Money) -> Money:
    if value.amount <= 0:
        raise ValueError("a price must be positive")
    known_currency(value.currency)
    return value


Price = Annotated[Money, AfterValidator(_price)]
"""A price: a positive amount in a known ISO 4217 currency."""
