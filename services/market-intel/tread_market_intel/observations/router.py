from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tread_market_intel.directory.access import Observer, Staff
from tread_market_intel.observations import repository, service
from tread_market_intel.observations.events import price_of
from tread_market_intel.observations.models import Observation
from tread_market_intel.observations.schemas import (
    ObservationFilters,
    ObservationIn,
    ObservationOut,
)
from tread_market_intel.settings import MarketSettings
from tread_shared.app import EventOutbox
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import check_if_match, set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1/observations", tags=["observations"])
Paging = Annotated[PageParams, Depends(page_params)]


def observation_out(observation: Observation) -> ObservationOut:
    return ObservationOut.model_validate(
        {
            **{
                n: getattr(observation, n)
                for n in ObservationOut.model_fields
                if hasattr(observation, n)
            },
            "observed_price": price_of(observation),
        }
    )


def _answer(response: Response, observation: Observation) -> ObservationOut:
    set_etag(response, observation.id, observation.version)
    return observation_out(observation)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": ObservationOut,
            "description": "An observation with this id was recorded already: the first record",
        }
    },
)
async def record_observation(
    data: ObservationIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: Observer,
    settings: MarketSettings,
    response: Response,
) -> ObservationOut:
    """Record what was seen in the market, in one of the caller's territories. An offline
    client makes the ``id``: sending it again answers the first record (200). A price far
    outside the recent range for the product and territory is kept, flagged ``outlier``."""
    observation, new = await service.record(session, outbox, settings, caller, data)
    if not new:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/observations/{observation.id}"
    return _answer(response, observation)


@router.get("")
async def list_observations(
    session: ReadSession,
    caller: Staff,
    filters: Annotated[ObservationFilters, Query()],
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[ObservationOut | Tombstone]:
    """Observations of the caller's territories (and their own); central sees all."""
    query = repository.listed(caller, filters)
    listed = await list_page(session, query, Observation, page, updated_since=updated_since)
    return sync_page(listed, observation_out)


@router.get("/{observation_id}")
async def get_observation(
    observation_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> ObservationOut:
    return _answer(response, await service.observation_of(session, caller, observation_id))


@router.delete("/{observation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_observation(
    observation_id: uuid.UUID, request: Request, session: DbSession, caller: Observer
) -> None:
    """Withdraw an observation (its author or central); offline clients get a tombstone.
    If-Match required."""
    observation = await service.observation_of(session, caller, observation_id)
    check_if_match(request, observation.id, observation.version)
    await service.remove(session, caller, observation)
