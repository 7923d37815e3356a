from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_reporting.columns import ScaledAmount
from tread_shared.db.types import UTCDateTime


class Qualification(Base):
    """The latest qualification of an account: what it should bring, what it may take."""

    __tablename__ = "rm_qualifications"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The account's version at qualification: a later qualification has a greater one.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    quadrant: Mapped[str] = mapped_column(String(30), nullable=False)
    annual_volume_units: Mapped[int] = mapped_column(Integer, nullable=False)
    visits_per_year: Mapped[int] = mapped_column(Integer, nullable=False)
    hours_per_year: Mapped[int] = mapped_column(Integer, nullable=False)
    budget: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    budget_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    qualified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ActivityRecord(Base):
    """A visit, call, training, meeting or e-mail, as its latest event described it."""

    __tablename__ = "rm_activities"
    __table_args__ = (
        Index("ix_rm_activities_account_started", "generation", "account_id", "started_at"),
        Index("ix_rm_activities_started", "generation", "started_at"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    type: Mapped[str] = mapped_column(String(30), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    cost: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
    cost_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    performed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False)
