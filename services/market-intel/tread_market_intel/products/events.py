from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.products.models import DEFAULT_TERRITORY, PriceEntry, Product
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.market_intel import (
    PriceListChanged,
    ProductChanged,
    ProductCreated,
    ProductDiscontinued,
    ProductState,
)
from tread_shared.events.registry import EventPayload
from tread_shared.money import Money


def product_state(product: Product) -> ProductState:
    return ProductState.model_validate(
        {
            "product_id": product.id,
            "code": product.code,
            "kind": product.kind,
            "brand": product.brand,
            "range": product.range,
            "name": product.name,
            "spec": product.spec,
            "usage_types": product.usage_types,
            "status": product.status,
            "product_version": product.version,
        }
    )


def created_event(product: Product, by: str) -> EventPayload:
    return ProductCreated(product=product_state(product), changed_by=by)


def changed_event(product: Product, fields: list[str], by: str) -> EventPayload:
    state = product_state(product)
    if "status" in fields and product.status == "discontinued":
        return ProductDiscontinued(product=state, changed_by=by)
    return ProductChanged(product=state, changed_fields=fields, changed_by=by)


def price_event(product: Product, entry: PriceEntry) -> EventPayload:
    return PriceListChanged(
        price_entry_id=entry.id,
        product_id=product.id,
        product_code=product.code,
        territory=None if entry.territory == DEFAULT_TERRITORY else entry.territory,
        list_price=Money.of(entry.amount, entry.currency),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        entry_version=entry.version,
        changed_by=entry.changed_by,
    )


async def product_created(session: AsyncSession, outbox: Outbox, product: Product, by: str) -> None:
    await emit(session, outbox, product, lambda: created_event(product, by))


async def product_changed(
    session: AsyncSession, outbox: Outbox, product: Product, fields: list[str], by: str
) -> None:
    await emit(session, outbox, product, lambda: changed_event(product, fields, by))


async def price_list_changed(
    session: AsyncSession, outbox: Outbox, product: Product, entry: PriceEntry
) -> None:
    # The subject is the product, so that a consumer receives a product's events in order.
    await emit(session, outbox, product, lambda: price_event(product, entry))
