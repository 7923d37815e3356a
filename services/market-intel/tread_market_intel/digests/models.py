from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_market_intel.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, UTCDateTime


class Digest(EntityMixin, Base):
    """A subscriber's digest of one ISO week; the unique week is what makes the job safe on
    every replica (the second one to write it loses and moves on)."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("subscription_id", "week"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    subscriber_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    week: Mapped[str] = mapped_column(String(8), nullable=False)
    period_start: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    period_end: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    html: Mapped[str] = mapped_column(Text, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
