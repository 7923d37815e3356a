from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tread_market_intel.competitors import repository, service
from tread_market_intel.competitors.models import CompetitorProduct
from tread_market_intel.competitors.schemas import (
    CompetitorProductIn,
    CompetitorProductOut,
    CompetitorProductPatch,
    EquivalenceOut,
)
from tread_market_intel.directory.access import CatalogueOwner, Staff
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1/competitor-products", tags=["competitor-products"])
Paging = Annotated[PageParams, Depends(page_params)]


def competitor_product_out(row: CompetitorProduct) -> CompetitorProductOut:
    return CompetitorProductOut(
        id=row.id,
        competitor=row.competitor,
        brand=row.brand,
        range=row.range,
        name=row.name,
        spec=row.spec or None,
        positioning=row.positioning,
        equivalents=[
            EquivalenceOut(product_code=e.product_code, note=e.note)
            for e in sorted(row.equivalences, key=lambda e: e.product_code)
        ],
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def _answer(response: Response, row: CompetitorProduct) -> CompetitorProductOut:
    set_etag(response, row.id, row.version)
    return competitor_product_out(row)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_competitor_product(
    data: CompetitorProductIn, session: DbSession, caller: CatalogueOwner, response: Response
) -> CompetitorProductOut:
    """Describe a competitor's product and the own products it is equivalent to (central)."""
    row = await service.create(session, data)
    response.headers["Location"] = f"/v1/competitor-products/{row.id}"
    return _answer(response, row)


@router.get("")
async def list_competitor_products(
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
    competitor: Annotated[str | None, Query(max_length=100)] = None,
    brand: Annotated[str | None, Query(max_length=100)] = None,
    product_code: Annotated[
        str | None, Query(max_length=60, description="Equivalent to this own product")
    ] = None,
) -> Page[CompetitorProductOut | Tombstone]:
    query = repository.listed(competitor=competitor, brand=brand, product_code=product_code)
    listed = await list_page(session, query, CompetitorProduct, page, updated_since=updated_since)
    return sync_page(listed, competitor_product_out)


@router.get("/{competitor_product_id}")
async def get_competitor_product(
    competitor_product_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> CompetitorProductOut:
    return _answer(response, await service.competitor_product_of(session, competitor_product_id))


@router.patch("/{competitor_product_id}")
async def update_competitor_product(
    competitor_product_id: uuid.UUID,
    patch: CompetitorProductPatch,
    request: Request,
    session: DbSession,
    caller: CatalogueOwner,
    response: Response,
) -> CompetitorProductOut:
    """Change it; ``equivalents`` replaces the equivalences. If-Match required."""
    row = await service.competitor_product_of(session, competitor_product_id)
    check_if_match(request, row.id, row.version)
    return _answer(response, await service.change(session, row, patch))


@router.delete("/{competitor_product_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_competitor_product(
    competitor_product_id: uuid.UUID, request: Request, session: DbSession, caller: CatalogueOwner
) -> None:
    """Remove it (offline clients get a tombstone). If-Match required."""
    row = await service.competitor_product_of(session, competitor_product_id)
    check_if_match(request, row.id, row.version)
    await service.remove(session, row)
