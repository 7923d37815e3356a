"""Sums of money kept apart per currency, the way reports show them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from tread_shared.money import Money


def by_currency(amounts: Iterable[tuple[Decimal | None, str | None]]) -> list[Money]:
    """One ``Money`` per currency, in currency order; amounts without a currency are left out."""
    totals: dict[str, Decimal] = {}
    for amount, currency in amounts:
        if amount is not None and currency:
            totals[currency] = totals.get(currency, Decimal(0)) + amount
    return [Money.of(totals[currency], currency) for currency in sorted(totals)]
