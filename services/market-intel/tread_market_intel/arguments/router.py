from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tread_market_intel.arguments import repository, service
from tread_market_intel.arguments.models import Argument
from tread_market_intel.arguments.schemas import (
    ArgumentFilters,
    ArgumentIn,
    ArgumentOut,
    ArgumentPatch,
    ArgumentVersionOut,
)
from tread_market_intel.arguments.workflow import TRANSITIONS
from tread_market_intel.directory.access import ArgumentAuthor, Staff
from tread_shared.app import EventOutbox
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1/arguments", tags=["arguments"])
Paging = Annotated[PageParams, Depends(page_params)]


def argument_out(argument: Argument) -> ArgumentOut:
    return ArgumentOut.model_validate(
        {
            **{n: getattr(argument, n) for n in ArgumentOut.model_fields if hasattr(argument, n)},
            "next_statuses": list(TRANSITIONS[argument.status]),
        }
    )


def _answer(response: Response, argument: Argument) -> ArgumentOut:
    set_etag(response, argument.id, argument.version)
    return argument_out(argument)


@router.post("", status_code=status.HTTP_201_CREATED)
async def write_argument(
    data: ArgumentIn, session: DbSession, caller: ArgumentAuthor, response: Response
) -> ArgumentOut:
    """Write a selling argument (a draft) for a product or service, a usage and a segment."""
    argument = await service.write(session, caller, data)
    response.headers["Location"] = f"/v1/arguments/{argument.id}"
    return _answer(response, argument)


@router.get("")
async def list_arguments(
    session: ReadSession,
    caller: Staff,
    filters: Annotated[ArgumentFilters, Query()],
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[ArgumentOut | Tombstone]:
    """The arguments the caller may see: the field sees validated ones (and authors their
    own). ``product_code`` and ``usage_type`` together answer "what do I tell this fleet"
    in one call: the arguments for that product and usage, and the general ones."""
    query = repository.listed(caller, filters)
    listed = await list_page(session, query, Argument, page, updated_since=updated_since)
    return sync_page(listed, argument_out)


@router.get("/{argument_id}")
async def get_argument(
    argument_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> ArgumentOut:
    return _answer(response, await service.argument_of(session, caller, argument_id))


@router.get("/{argument_id}/versions")
async def list_argument_versions(
    argument_id: uuid.UUID, session: ReadSession, caller: Staff
) -> Page[ArgumentVersionOut]:
    """Every version of the argument's text, first to latest."""
    argument = await service.argument_of(session, caller, argument_id)
    versions = await repository.versions(session, argument.id)
    return Page(
        items=[ArgumentVersionOut.model_validate(v, from_attributes=True) for v in versions]
    )


@router.patch("/{argument_id}")
async def work_argument(
    argument_id: uuid.UUID,
    patch: ArgumentPatch,
    request: Request,
    session: DbSession,
    outbox: EventOutbox,
    caller: ArgumentAuthor,
    response: Response,
) -> ArgumentOut:
    """Rewrite a draft (a new version) and/or move the argument along its workflow (409 on
    an illegal move, naming the allowed ones). If-Match required."""
    argument = await service.argument_of(session, caller, argument_id)
    check_if_match(request, argument.id, argument.version)
    argument = await service.work(session, outbox, caller, argument, patch)
    return _answer(response, argument)
