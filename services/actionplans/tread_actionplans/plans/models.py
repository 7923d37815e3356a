from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_actionplans.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, UTCDateTime


class Plan(EntityMixin, Base):
    """An action plan. ``account_id`` is set for an account's plan (scope then follows the
    account in the directory); ``territory`` is the territory of a territory or portfolio plan
    (for an account's plan, the account's territory when the plan was written)."""

    __tablename__ = "plans"

    title: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    scope: Mapped[str] = mapped_column(String(20), nullable=False)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    territory: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    # None only while a plan drafted from an event waits for its account to arrive.
    owner_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    stakeholders: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    budget_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    start_date: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    end_date: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    reaudit_on: Mapped[date | None] = mapped_column(BoundedDate, nullable=True)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    # One plan per audit, even when the audit event is delivered twice at the same moment.
    audit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, unique=True)
    origin: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    submitted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
