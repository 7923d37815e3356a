from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_actionplans.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime


class ResourceRequest(EntityMixin, Base):
    __tablename__ = "resource_requests"

    plan_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plans.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    justification: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    approved_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    committed: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    requested_by: Mapped[str] = mapped_column(String(200), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
