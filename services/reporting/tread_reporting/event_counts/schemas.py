from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tread_reporting.freshness.schemas import AsOf


class EventTypeCountOut(BaseModel):
    type: str
    source: str
    count: int
    first_seen_at: datetime
    last_event_at: datetime


class EventCountsOut(BaseModel):
    items: list[EventTypeCountOut]
    total: int
    as_of: AsOf
