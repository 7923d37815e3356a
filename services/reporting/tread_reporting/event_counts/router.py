from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tread_reporting.event_counts import repository
from tread_reporting.event_counts.schemas import EventCountsOut, EventTypeCountOut
from tread_reporting.freshness.service import CurrentView
from tread_shared.auth.dependencies import require_roles
from tread_shared.auth.principal import Principal, Role
from tread_shared.db.reading import ReadSession

router = APIRouter(prefix="/v1/reports", tags=["events"])

Operator = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.CENTRAL))]


@router.get("/events", response_model=EventCountsOut)
async def list_event_counts(
    session: ReadSession,
    view: CurrentView,
    _caller: Operator,
    source: Annotated[str | None, Query(description="Only events of this service")] = None,
) -> EventCountsOut:
    """How many events of each type reporting has applied, and when it saw the last one."""
    rows = await repository.list_all(session, view.generation, source)
    items = [EventTypeCountOut.model_validate(row, from_attributes=True) for row in rows]
    return EventCountsOut(items=items, total=sum(item.count for item in items), as_of=view.as_of)
