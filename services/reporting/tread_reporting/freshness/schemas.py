from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AsOf(BaseModel):
    """The last event applied to the read models this answer comes from."""

    time: datetime | None = Field(description="The time of that event (null before any)")
    sequence: int = Field(description="Its sequence in the event stream (0 before any)")


class ConsumerLag(BaseModel):
    name: str
    pending: int | None = Field(description="Events in the stream not yet delivered to it")
    ack_pending: int | None = Field(description="Delivered, not yet applied")
    redelivered: int | None = None
    delivered_sequence: int | None = None
    acknowledged_sequence: int | None = None


class RebuildProgress(BaseModel):
    generation: int
    replayed_sequence: int
    target_sequence: int | None


class LagOut(BaseModel):
    as_of: AsOf
    broker_reachable: bool
    error: str | None = None
    stream: str
    stream_last_sequence: int | None = None
    behind: int | None = Field(
        None, description="Events not yet applied: pending and awaiting ack (null if unknown)"
    )
    consumers: list[ConsumerLag]
    rebuild: RebuildProgress | None = None
