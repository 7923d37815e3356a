from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class DigestOut(BaseModel):
    id: uuid.UUID
    subscription_id: uuid.UUID
    subscriber_id: str
    week: str = Field(description="ISO week, e.g. 2026-W48")
    period_start: date
    period_end: date
    content: dict[str, Any] = Field(
        description="observations (counts), highlights, positioning_changes, arguments_validated"
    )
    issued_at: datetime
    created_at: datetime
    updated_at: datetime
