from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

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


def field_of(row: Product | PriceEntry | Mapping[str, Any], name: str) -> Any:
    """A column of an ORM object, or of a row inserted without one (a catalogue import)."""
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


def product_state(product: Product | Mapping[str, Any]) -> ProductState:
    return ProductState.model_validate(
        {
            "product_id": field_of(product, "id"),
            "code": field_of(product, "code"),
            "kind": field_of(product, "kind"),
            "brand": field_of(product, "brand"),
            "range": field_of(product, "range"),
            "name": field_of(product, "name"),
            "spec": field_of(product, "spec"),
            "usage_types": field_of(product, "usage_types"),
            "status": field_of(product, "status"),
            "product_version": field_of(product, "version"),
        }
    )


def created_event(product: Product | Mapping[str, Any], by: str) -> EventPayload:
    return ProductCreated(product=product_state(product), changed_by=by)


def changed_event(product: Product, fields: list[str], by: str) -> EventPayload:
    state = product_state(product)
    if "status" in fields and product.status == "discontinued":
        return ProductDiscontinued(product=state, changed_by=by)
    return ProductChanged(product=state, changed_fields=fields, changed_by=by)


def price_event(
    product_id: uuid.UUID, product_code: str, entry: PriceEntry | Mapping[str, Any]
) -> EventPayload:
    territory = field_of(entry, "territory")
    return PriceListChanged(
        price_entry_id=field_of(entry, "id"),
        product_id=product_id,
        product_code=product_code,
        territory=None if territory == DEFAULT_TERRITORY else territory,
        list_price=Money.of(field_of(entry, "amount"), field_of(entry, "currency")),
        valid_from=field_of(entry, "valid_from"),
        valid_to=field_of(entry, "valid_to"),
        entry_version=field_of(entry, "version"),
        changed_by=field_of(entry, "changed_by"),
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
    await emit(session, outbox, product, lambda: price_event(product.id, product.code, entry))
