from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RebuildOut(BaseModel):
    generation: int = Field(description="The generation the rebuild fills")
    state: str = Field(description="building, active (done), failed, abandoned, retired, dropped")
    active_generation: int
    target_sequence: int | None = Field(description="The stream's last sequence at the start")
    replayed_sequence: int
    events_replayed: int
    events_skipped: int = Field(description="Events that cannot be applied (dead letters)")
    requested_by: str | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None
