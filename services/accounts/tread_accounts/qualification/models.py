from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_accounts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime


class Qualification(EntityMixin, Base):
    """An account's current qualification (the history travels as ``account.qualified``
    events)."""

    __tablename__ = "qualifications"

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id"), nullable=False, unique=True
    )
    annual_volume_units: Mapped[int] = mapped_column(Integer, nullable=False)
    margin_potential_amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    margin_potential_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    visits_per_year: Mapped[int] = mapped_column(Integer, nullable=False)
    hours_per_year: Mapped[int] = mapped_column(Integer, nullable=False)
    budget_amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    budget_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    quadrant: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    high_result: Mapped[bool] = mapped_column(Boolean, nullable=False)
    high_investment: Mapped[bool] = mapped_column(Boolean, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    qualified_by: Mapped[str] = mapped_column(String(200), nullable=False)
    qualified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
