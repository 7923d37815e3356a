from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol, TypeVar

from sqlalchemy import Select, bindparam, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.products.models import DEFAULT_TERRITORY, PriceEntry, Product
from tread_shared.db.reading import Rows


async def get(session: AsyncSession, product_id: uuid.UUID) -> Product | None:
    return await session.get(Product, product_id)


async def by_code(session: AsyncSession, code: str) -> Product | None:
    return (await session.scalars(select(Product).where(Product.code == code))).first()


# Values bound in one IN list at most: asyncpg takes 32,767 parameters a statement, and an
# import names 50,000 codes.
IN_LIST = 10_000


async def by_codes(session: AsyncSession, codes: Sequence[str]) -> dict[str, Product]:
    wanted = sorted(set(codes))
    found: dict[str, Product] = {}
    for first in range(0, len(wanted), IN_LIST):
        part = wanted[first : first + IN_LIST]
        rows = await session.scalars(select(Product).where(Product.code.in_(part)))
        found.update((product.code, product) for product in rows)
    return found


def listed(
    *,
    code: str | None = None,
    kind: str | None = None,
    brand: str | None = None,
    range_: str | None = None,
    status: str | None = None,
) -> Select[Product]:
    query = select(Product)
    for column, value in (
        (Product.code, code),
        (Product.kind, kind),
        (Product.brand, brand),
        (Product.range, range_),
        (Product.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


async def price_entry(
    session: AsyncSession, product_id: uuid.UUID, territory: str, currency: str, valid_from: date
) -> PriceEntry | None:
    query = select(PriceEntry).where(
        PriceEntry.product_id == product_id,
        PriceEntry.territory == territory,
        PriceEntry.currency == currency,
        PriceEntry.valid_from == valid_from,
    )
    return (await session.scalars(query)).first()


async def prices(session: AsyncSession, product_id: uuid.UUID) -> Sequence[PriceEntry]:
    query = (
        select(PriceEntry)
        .where(PriceEntry.product_id == product_id, PriceEntry.deleted_at.is_(None))
        .order_by(PriceEntry.territory, PriceEntry.currency, PriceEntry.valid_from)
    )
    return (await session.scalars(query)).all()


async def price_in_force(
    session: AsyncSession,
    product_id: uuid.UUID,
    territory: str | None,
    on: date,
    currency: str | None = None,
) -> PriceEntry | None:
    """The entry in force on ``on``: the territory's own before the default, then the latest
    ``valid_from``."""
    territories = [DEFAULT_TERRITORY] if territory is None else [territory, DEFAULT_TERRITORY]
    query = select(PriceEntry).where(
        PriceEntry.product_id == product_id,
        PriceEntry.deleted_at.is_(None),
        PriceEntry.territory.in_(territories),
        PriceEntry.valid_from <= on,
        or_(PriceEntry.valid_to.is_(None), PriceEntry.valid_to >= on),
    )
    if currency is not None:
        query = query.where(PriceEntry.currency == currency)
    query = query.order_by(
        case((PriceEntry.territory == DEFAULT_TERRITORY, 1), else_=0),
        PriceEntry.valid_from.desc(),
    )
    return (await session.scalars(query.limit(1))).first()


class BookEntry(Protocol):
    """What the price in force is computed from: a :class:`PriceEntry`, or a row of
    :func:`price_book`."""

    territory: str
    valid_from: date
    valid_to: date | None
    amount: Decimal


# Every live entry of some products (codes bound as a list) in a currency, with its product's
# code: built once, read as rows (the ORM's entities cost a tenth of a price-positioning
# answer, which renders four of their columns).
_PRICE_BOOK = (
    select(
        Product.__table__.c.code,
        PriceEntry.__table__.c.territory,
        PriceEntry.__table__.c.valid_from,
        PriceEntry.__table__.c.valid_to,
        PriceEntry.__table__.c.amount,
    )
    .join_from(
        Product.__table__,
        PriceEntry.__table__,
        PriceEntry.__table__.c.product_id == Product.__table__.c.id,
    )
    .where(
        Product.__table__.c.code.in_(bindparam("codes", expanding=True)),
        PriceEntry.__table__.c.currency == bindparam("currency"),
        PriceEntry.__table__.c.deleted_at.is_(None),
    )
)


async def price_book(
    reads: Rows, codes: Sequence[str], currency: str
) -> dict[str, list[BookEntry]]:
    """Every live entry of these products in ``currency``, by product code (for computing the
    price in force on many days at once, see :func:`in_force`)."""
    if not codes:
        return {}
    rows = await reads.all(_PRICE_BOOK, {"codes": sorted(set(codes)), "currency": currency})
    book: dict[str, list[BookEntry]] = {}
    for row in rows:
        book.setdefault(row.code, []).append(row)
    return book


E = TypeVar("E", bound=BookEntry)


def in_force(entries: Sequence[E], territory: str | None, on: date) -> E | None:
    """The same rule as :func:`price_in_force`, over entries already read."""
    wanted = [DEFAULT_TERRITORY] if territory is None else [territory, DEFAULT_TERRITORY]
    candidates = [
        entry
        for entry in entries
        if entry.territory in wanted
        and entry.valid_from <= on
        and (entry.valid_to is None or entry.valid_to >= on)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda e: (e.territory == DEFAULT_TERRITORY, -e.valid_from.toordinal()),
    )


async def price_entries_of(
    session: AsyncSession, product_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str, str, date], PriceEntry]:
    """Every entry of these products, by (product, territory, currency, first day)."""
    wanted = sorted(set(product_ids))
    found: dict[tuple[uuid.UUID, str, str, date], PriceEntry] = {}
    for first in range(0, len(wanted), IN_LIST):
        query = select(PriceEntry).where(PriceEntry.product_id.in_(wanted[first : first + IN_LIST]))
        found.update(
            ((e.product_id, e.territory, e.currency, e.valid_from), e)
            for e in await session.scalars(query)
        )
    return found
