from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_reporting.columns import ScaledAmount
from tread_shared.db.types import UTCDateTime


class Milestone(Base):
    """A dated step of an entity (``contract`` activated, ``case`` resolved, ``facilitation``
    granted…). Happens once: the first record of a step stays."""

    __tablename__ = "rm_milestones"
    __table_args__ = (
        Index("ix_rm_milestones_when", "generation", "entity", "occurred_at"),
        Index("ix_rm_milestones_kind", "generation", "entity", "milestone", "occurred_at"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(30), primary_key=True)
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    milestone: Mapped[str] = mapped_column(String(60), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
