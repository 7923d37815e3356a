"""Each action-plans entity as its latest event described it. Rows carry the plan's territory
and owner (as the events do) and its account, for grouping and scope."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_reporting.columns import ScaledAmount
from tread_shared.db.types import BoundedDate, UTCDateTime


class PlanRecord(Base):
    __tablename__ = "rm_plans"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)


class PlanIndicatorRecord(Base):
    """An indicator's status in the period measured last."""

    __tablename__ = "rm_plan_indicators"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The stream sequence: the later measurement wins.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str | None] = mapped_column(String(10), nullable=True)


class PlanDeviationRecord(Base):
    __tablename__ = "rm_plan_deviations"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    deviation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    cause: Mapped[str | None] = mapped_column(String(30), nullable=True)


class PlanActionRecord(Base):
    __tablename__ = "rm_plan_actions"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    due_on: Mapped[date] = mapped_column(BoundedDate, nullable=False)


class PlanResourceRecord(Base):
    __tablename__ = "rm_plan_resources"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # "" for visits, hours and people-days.
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    approved: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)
    committed: Mapped[Decimal] = mapped_column(ScaledAmount, nullable=False)


class PlanHistoryRecord(Base):
    """Every state an action-plans entity (``plan``, ``indicator``, ``deviation``, ``action``,
    ``resource``) went through, dated by its event: the central report reads them as of a
    period's end, so that regenerating a past period gives the same figures."""

    __tablename__ = "rm_plan_history"
    __table_args__ = (Index("ix_rm_plan_history_when", "generation", "occurred_at"),)

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The entity's version (the stream sequence for an indicator's readings).
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # A deviation's cause, a resource request's kind.
    detail: Mapped[str | None] = mapped_column(String(30), nullable=True)
    due_on: Mapped[date | None] = mapped_column(BoundedDate, nullable=True)
    # "" for visits, hours and people-days; set for resource requests only.
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    approved: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
    committed: Mapped[Decimal | None] = mapped_column(ScaledAmount, nullable=True)
