from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_actionplans.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, ExactDecimal, UTCDateTime


class Objective(EntityMixin, Base):
    __tablename__ = "objectives"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    indicator_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("indicators.id"), nullable=True
    )
    baseline: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    target: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    due_on: Mapped[date | None] = mapped_column(BoundedDate, nullable=True)
    scale_min: Mapped[int | None] = mapped_column(nullable=True)
    scale_max: Mapped[int | None] = mapped_column(nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_score: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    last_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    evaluated_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
