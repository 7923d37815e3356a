"""The catalogue: central creates and changes products and sets their prices; everyone reads.

A product is never deleted: it is discontinued, and offers may no longer name it. A price-book
entry is keyed by product, territory, currency and first day: setting it again with another
amount or end corrects it (one event), with the same values changes nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.products import repository
from tread_market_intel.products.events import (
    price_list_changed,
    product_changed,
    product_created,
)
from tread_market_intel.products.models import DEFAULT_TERRITORY, PriceEntry, Product
from tread_market_intel.products.schemas import PriceIn, ProductIn, ProductPatch
from tread_shared.auth.principal import Principal
from tread_shared.errors import Conflict, NotFound, Unprocessable
from tread_shared.events.outbox import Outbox


async def product_of(session: AsyncSession, product_id: uuid.UUID) -> Product:
    product = await repository.get(session, product_id)
    if product is None:
        raise NotFound(f"No product {product_id}.")
    return product


def product_fields(data: ProductIn | ProductPatch, names: set[str]) -> dict[str, Any]:
    values = data.model_dump(include=names)
    if "spec" in values and values["spec"] is not None:
        values["spec"] = data.spec.model_dump(mode="json", exclude_none=True) if data.spec else {}
    if "spec" in values and values["spec"] is None:
        values["spec"] = {}
    return values


async def create_product(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: ProductIn
) -> Product:
    if await repository.by_code(session, data.code) is not None:
        raise Conflict(f"Product code {data.code} is taken.", slug="product-code-taken")
    product = Product(**product_fields(data, set(ProductIn.model_fields)))
    session.add(product)
    await product_created(session, outbox, product, principal.sub)
    return product


async def change_product(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    product: Product,
    values: dict[str, Any],
) -> Product:
    """Apply ``values`` (column → new value); one event naming what really changed."""
    changed = sorted(name for name, value in values.items() if getattr(product, name) != value)
    if not changed:
        return product
    for name in changed:
        setattr(product, name, values[name])
    await product_changed(session, outbox, product, changed, principal.sub)
    return product


async def patch_product(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    product: Product,
    patch: ProductPatch,
) -> Product:
    values = product_fields(patch, patch.model_fields_set)
    if values.get("spec") and product.kind == "service":
        raise Unprocessable("A service has no tyre spec.", slug="spec-not-for-kind")
    if "spec" in values and not values["spec"] and product.kind != "service":
        raise Unprocessable(f"A {product.kind} needs its spec.", slug="spec-required")
    return await change_product(session, outbox, principal, product, values)


async def set_price(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    product: Product,
    data: PriceIn,
) -> tuple[PriceEntry, bool]:
    """Set a price-book entry; the entry and whether anything changed."""
    territory = data.territory or DEFAULT_TERRITORY
    amount, currency = data.list_price.amount, data.list_price.currency
    entry = await repository.price_entry(session, product.id, territory, currency, data.valid_from)
    if entry is None:
        entry = PriceEntry(
            product_id=product.id,
            territory=territory,
            currency=currency,
            amount=amount,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            changed_by=principal.sub,
        )
        session.add(entry)
    elif entry.amount == amount and entry.valid_to == data.valid_to:
        return entry, False
    else:
        entry.amount, entry.valid_to, entry.changed_by = amount, data.valid_to, principal.sub
    await price_list_changed(session, outbox, product, entry)
    return entry, True


async def price_in_force(
    session: AsyncSession,
    product: Product,
    territory: str | None,
    on: date,
    currency: str | None,
) -> PriceEntry:
    entry = await repository.price_in_force(session, product.id, territory, on, currency)
    if entry is None:
        where = f" in {territory}" if territory else ""
        raise NotFound(f"No list price of {product.code}{where} on {on}.", slug="no-price-in-force")
    return entry
