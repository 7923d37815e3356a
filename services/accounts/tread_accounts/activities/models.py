from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_accounts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime


class Activity(EntityMixin, Base):
    __tablename__ = "activities"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id"), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    cost_amount: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    cost_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    participants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    follow_ups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    performed_by: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    # planned (a visit to come), done, or missed (planned, did not happen): only done counts.
    status: Mapped[str] = mapped_column(String(10), nullable=False, server_default="done")

    __table_args__ = (Index("ix_activities_account_id_started_at", "account_id", "started_at"),)
