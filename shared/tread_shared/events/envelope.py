"""The CloudEvents 1.0 envelope (JSON format) every Tread event travels in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tread_shared.clock import utcnow
from tread_shared.ids import new_id


class CloudEvent(BaseModel):
    """``type`` is ``tread.<service>.<entity>.<verb>.v<N>``; ``subject`` is the entity id."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(new_id()))
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=utcnow)
    datacontenttype: str = "application/json"
    data: dict[str, Any]
    correlationid: str | None = None
    traceparent: str | None = None

    @property
    def event_uuid(self) -> uuid.UUID:
        return uuid.UUID(self.id)


def nats_subject_for(event_type: str, subject_root: str = "tread") -> str:
    """``tread.accounts.account.created.v1`` travels on ``<root>.accounts.account.created``."""
    parts = event_type.split(".")
    if len(parts) < 5 or parts[0] != "tread" or not parts[-1].startswith("v"):
        raise ValueError(f"not a Tread event type: {event_type!r}")
    return ".".join([subject_root, *parts[1:-1]])
