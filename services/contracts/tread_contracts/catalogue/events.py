"""The consumer of the market-intel catalogue: products and price-book entries, each kept at
its latest version (an older or repeated event changes nothing)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.catalogue.models import DEFAULT_TERRITORY, CataloguePrice, CatalogueProduct
from tread_shared.app import ServiceRuntime
from tread_shared.events.consumer import ConsumerSpec, Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.market_intel import (
    PriceListChanged,
    ProductChanged,
    ProductCreated,
    ProductDiscontinued,
    ProductEvent,
)


def _product_handler(payload_type: type[ProductEvent]) -> Handler:
    async def apply(session: AsyncSession, event: CloudEvent, _stream_seq: int) -> None:
        state = payload_type.model_validate(event.data).product
        row = await session.get(CatalogueProduct, state.code)
        if row is None:
            session.add(
                CatalogueProduct(
                    code=state.code,
                    product_id=state.product_id,
                    name=state.name,
                    status=state.status,
                    product_version=state.product_version,
                )
            )
        elif row.product_version < state.product_version:
            row.name, row.status = state.name, state.status
            row.product_version = state.product_version

    return apply


async def apply_price(session: AsyncSession, event: CloudEvent, _stream_seq: int) -> None:
    entry = PriceListChanged.model_validate(event.data)
    row = await session.get(CataloguePrice, entry.price_entry_id)
    values = {
        "product_code": entry.product_code,
        "territory": entry.territory or DEFAULT_TERRITORY,
        "currency": entry.list_price.currency,
        "amount": entry.list_price.amount,
        "valid_from": entry.valid_from,
        "valid_to": entry.valid_to,
        "entry_version": entry.entry_version,
    }
    if row is None:
        session.add(CataloguePrice(price_entry_id=entry.price_entry_id, **values))
    elif row.entry_version < entry.entry_version:
        for name, value in values.items():
            setattr(row, name, value)


def catalogue_consumer(_runtime: ServiceRuntime) -> ConsumerSpec:
    handlers = {
        payload.event_type(): _product_handler(payload)
        for payload in (ProductCreated, ProductChanged, ProductDiscontinued)
    }
    handlers[PriceListChanged.event_type()] = apply_price
    return ConsumerSpec(
        durable="contracts-catalogue",
        subjects=["market-intel.product.>", "market-intel.price_list.>"],
        handlers=handlers,
    )
