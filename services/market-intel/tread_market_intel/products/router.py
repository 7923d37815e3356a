from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tread_market_intel.directory.access import CatalogueOwner, Staff
from tread_market_intel.products import repository, service
from tread_market_intel.products.models import DEFAULT_TERRITORY, PriceEntry, Product
from tread_market_intel.products.schemas import (
    PriceIn,
    PriceInForce,
    PriceOut,
    ProductIn,
    ProductKind,
    ProductOut,
    ProductPatch,
    ProductStatus,
)
from tread_shared.app import EventOutbox
from tread_shared.clock import utcnow
from tread_shared.currencies import ISO_4217
from tread_shared.dates import PlausibleDate
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.errors import Unprocessable
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince
from tread_shared.money import Money

router = APIRouter(prefix="/v1/products", tags=["products"])
Paging = Annotated[PageParams, Depends(page_params)]


def product_out(product: Product) -> ProductOut:
    return ProductOut.model_validate(
        {
            **{name: getattr(product, name) for name in ProductOut.model_fields},
            "spec": product.spec or None,
        }
    )


def price_out(product: Product, entry: PriceEntry) -> PriceOut:
    return PriceOut(
        id=entry.id,
        product_id=product.id,
        product_code=product.code,
        territory=None if entry.territory == DEFAULT_TERRITORY else entry.territory,
        list_price=Money.of(entry.amount, entry.currency),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        changed_by=entry.changed_by,
        updated_at=entry.updated_at,
        version=entry.version,
    )


def _answer(response: Response, product: Product) -> ProductOut:
    set_etag(response, product.id, product.version)
    return product_out(product)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_product(
    data: ProductIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: CatalogueOwner,
    response: Response,
) -> ProductOut:
    """Add a product or service to the catalogue (central). The code is unique."""
    product = await service.create_product(session, outbox, caller, data)
    response.headers["Location"] = f"/v1/products/{product.id}"
    return _answer(response, product)


@router.get("")
async def list_products(
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
    code: Annotated[str | None, Query(max_length=60)] = None,
    kind: ProductKind | None = None,
    brand: Annotated[str | None, Query(max_length=100)] = None,
    range: Annotated[str | None, Query(max_length=100)] = None,
    status: ProductStatus | None = None,
) -> Page[ProductOut | Tombstone]:
    """The catalogue, oldest first; with ``updated_since``, the changes since then."""
    query = repository.listed(code=code, kind=kind, brand=brand, range_=range, status=status)
    listed = await list_page(session, query, Product, page, updated_since=updated_since)
    return sync_page(listed, product_out)


@router.get("/{product_id}")
async def get_product(
    product_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> ProductOut:
    return _answer(response, await service.product_of(session, product_id))


@router.patch("/{product_id}")
async def update_product(
    product_id: uuid.UUID,
    patch: ProductPatch,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: CatalogueOwner,
    response: Response,
) -> ProductOut:
    """Change a product's description, discontinue or reactivate it (central). If-Match
    required."""
    product = await service.product_of(session, product_id)
    check_if_match(request, product.id, product.version)
    product = await service.patch_product(session, outbox, caller, product, patch)
    return _answer(response, product)


@router.post("/{product_id}/prices", status_code=status.HTTP_201_CREATED)
async def set_list_price(
    product_id: uuid.UUID,
    data: PriceIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: CatalogueOwner,
    response: Response,
) -> PriceOut:
    """Set a product's list price for a territory (or the default) from a day on (central).
    The same product, territory, currency and first day again corrects that entry."""
    product = await service.product_of(session, product_id)
    entry, _changed = await service.set_price(session, outbox, caller, product, data)
    set_etag(response, entry.id, entry.version)
    return price_out(product, entry)


@router.get("/{product_id}/prices")
async def list_list_prices(
    product_id: uuid.UUID, session: ReadSession, caller: Staff
) -> Page[PriceOut]:
    """The product's price book: every entry, by territory, currency and first day."""
    product = await service.product_of(session, product_id)
    entries = await repository.prices(session, product.id)
    return Page(items=[price_out(product, entry) for entry in entries])


@router.get("/{product_id}/price")
async def get_price_in_force(
    product_id: uuid.UUID,
    session: ReadSession,
    caller: Staff,
    territory: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    on: Annotated[PlausibleDate | None, Query(description="The day (default: today, UTC)")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> PriceInForce:
    """The list price in force on a day in a territory: the territory's own entry, else the
    default; 404 when none is in force."""
    if currency is not None and currency not in ISO_4217:
        raise Unprocessable(f"{currency} is not an ISO 4217 currency.", slug="unknown-currency")
    product = await service.product_of(session, product_id)
    day = on or utcnow().date()
    entry = await service.price_in_force(session, product, territory, day, currency)
    return PriceInForce(
        product_code=product.code,
        territory=territory,
        on=day,
        price_territory=None if entry.territory == DEFAULT_TERRITORY else entry.territory,
        list_price=Money.of(entry.amount, entry.currency),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        price_entry_id=entry.id,
    )
