from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from tread_market_intel.digests import repository, service
from tread_market_intel.digests.models import Digest
from tread_market_intel.digests.schemas import DigestOut
from tread_market_intel.directory.access import Staff
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1/digests", tags=["digests"])
Paging = Annotated[PageParams, Depends(page_params)]


def digest_out(digest: Digest) -> DigestOut:
    return DigestOut.model_validate(digest, from_attributes=True)


@router.get("")
async def list_digests(
    session: ReadSession, caller: Staff, page: Paging, updated_since: UpdatedSince = None
) -> Page[DigestOut | Tombstone]:
    """The caller's digests, oldest first (an admin's: everyone's)."""
    query = repository.visible(None if caller.is_admin else caller.sub)
    listed = await list_page(session, query, Digest, page, updated_since=updated_since)
    return sync_page(listed, digest_out)


@router.get(
    "/{digest_id}",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
    response_model=None,
)
async def get_digest(
    digest_id: uuid.UUID,
    request: Request,
    session: ReadSession,
    caller: Staff,
    format: Annotated[
        Literal["json", "html"] | None,
        Query(description="html: the e-mail-ready page (also with Accept: text/html)"),
    ] = None,
) -> DigestOut | HTMLResponse:
    """A weekly digest, as JSON or as e-mail-ready HTML."""
    digest = await service.digest_of(session, caller, digest_id)
    accept = request.headers.get("accept", "")
    if format == "html" or (format is None and "text/html" in accept):
        return HTMLResponse(digest.html)
    return digest_out(digest)
