from __future__ import annotations

from fastapi import APIRouter, Request

from tread_reporting.consumer import DURABLE
from tread_reporting.freshness import service
from tread_reporting.freshness.schemas import LagOut
from tread_reporting.readers import Reader
from tread_reporting.settings import ReportingSettings
from tread_shared.db.reading import ReadSession

router = APIRouter(prefix="/v1/reports", tags=["freshness"])


@router.get("/lag", response_model=LagOut)
async def get_lag(
    session: ReadSession, settings: ReportingSettings, request: Request, _caller: Reader
) -> LagOut:
    """How far reporting's consumer is behind the event stream, as JetStream counts it, and the
    last event applied. With the broker unreachable: what is known locally, and why no more."""
    return await service.lag(session, service.broker_of(request), settings.nats_stream, [DURABLE])
