"""Offer lines against the catalogue (when ``CONTRACTS_CATALOGUE_CHECK`` is on).

A line's product code must be in the catalogue and active, else 422 naming the code. A line
without a list price takes the price book's price in force today in the account's territory
(the territory's own, else the default) in the offer's currency; a line with another price
keeps it, flagged with the catalogue's price, and the revision goes to a district manager.
With the check off (a deployment without market-intel), lines are taken as typed and each
needs its list price."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.catalogue import repository
from tread_contracts.offers.schemas import OfferLineIn
from tread_shared.errors import Unprocessable
from tread_shared.money import Money


@dataclass(frozen=True)
class PricedLine:
    line: OfferLineIn
    list_price: Money
    catalogue_price: Decimal | None

    @property
    def overridden(self) -> bool:
        return self.catalogue_price is not None and self.catalogue_price != self.list_price.amount


def _unchecked(lines: list[OfferLineIn]) -> list[PricedLine]:
    missing = [line.product_code for line in lines if line.list_price is None]
    if missing:
        raise Unprocessable(
            f"No list price for {', '.join(missing)}: the catalogue is not checked here, so "
            "every line states its price.",
            slug="list-price-required",
            product_codes=missing,
        )
    return [PricedLine(line, line.list_price, None) for line in lines if line.list_price]


async def price_lines(
    session: AsyncSession, check: bool, lines: list[OfferLineIn], territory: str, today: date
) -> list[PricedLine]:
    if not check:
        return _unchecked(lines)
    known = await repository.products(session, [line.product_code for line in lines])
    unknown = [line.product_code for line in lines if line.product_code not in known]
    if unknown:
        hint = (
            " The catalogue has not reached this service yet."
            if await repository.is_empty(session)
            else ""
        )
        raise Unprocessable(
            f"Not in the catalogue: {', '.join(unknown)}.{hint}",
            slug="unknown-product",
            product_codes=unknown,
        )
    inactive = [line.product_code for line in lines if known[line.product_code].status != "active"]
    if inactive:
        raise Unprocessable(
            f"Discontinued: {', '.join(inactive)}.",
            slug="product-discontinued",
            product_codes=inactive,
        )
    stated = [line.list_price.currency for line in lines if line.list_price is not None]
    currency = stated[0] if stated else None
    priced: list[PricedLine] = []
    for line in lines:
        entry = await repository.price_in_force(
            session, line.product_code, territory, today, currency
        )
        if line.list_price is None:
            if entry is None:
                where = f" in {currency}" if currency else ""
                raise Unprocessable(
                    f"No list price of {line.product_code} in force in {territory}{where} on "
                    f"{today}: state the line's list price.",
                    slug="no-price-in-force",
                    product_codes=[line.product_code],
                )
            currency = entry.currency
            priced.append(PricedLine(line, Money.of(entry.amount, entry.currency), entry.amount))
        else:
            catalogue_price = entry.amount if entry is not None else None
            priced.append(PricedLine(line, line.list_price, catalogue_price))
    return priced
