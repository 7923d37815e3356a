from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, EmailStr, Field, model_validator

from tread_market_intel.fields import Label
from tread_market_intel.observations.schemas import ObservationKind
from tread_shared.http.inputs import Input

Labels = Annotated[list[Label], Field(max_length=50)]


class SubscriptionIn(Input):
    """What to hear about; an empty list means "all of it" (a field user's territories: his)."""

    email: EmailStr | None = Field(None, description="Where the e-mail version goes")
    territories: Labels = []
    competitors: Labels = []
    ranges: Labels = []
    kinds: Annotated[list[ObservationKind], Field(max_length=6)] = []


class SubscriptionPatch(Input):
    email: EmailStr | None = None
    territories: Labels | None = None
    competitors: Labels | None = None
    ranges: Labels | None = None
    kinds: Annotated[list[ObservationKind], Field(max_length=6)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _lists_stay_lists(cls, values: Any) -> Any:
        if isinstance(values, dict):
            lists = ("territories", "competitors", "ranges", "kinds")
            cleared = [n for n in lists if n in values and values[n] is None]
            if cleared:
                raise ValueError(f"cannot be null (send [] for all): {', '.join(cleared)}")
        return values


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    subscriber_id: str
    email: str | None
    territories: list[str]
    competitors: list[str]
    ranges: list[str]
    kinds: list[str]
    created_at: datetime
    updated_at: datetime
    version: int
