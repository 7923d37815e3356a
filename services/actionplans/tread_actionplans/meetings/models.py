from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_actionplans.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import UTCDateTime


class Meeting(EntityMixin, Base):
    __tablename__ = "meetings"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id"), nullable=False, index=True
    )
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    participants: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    agenda: Mapped[str | None] = mapped_column(Text, nullable=True)
    minutes: Mapped[str | None] = mapped_column(Text, nullable=True)
    evaluations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
