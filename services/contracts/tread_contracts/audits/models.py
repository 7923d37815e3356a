from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tread_contracts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime
from tread_shared.ids import new_id


class Audit(EntityMixin, Base):
    """An audit as recorded; its requirements and gaps are fixed when it is recorded. Without
    a contract it is a pre-partnership audit of the program tier it names."""

    __tablename__ = "audits"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contracts.id"), nullable=True, index=True
    )
    program_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    program_version: Mapped[int] = mapped_column(Integer, nullable=False)
    tier: Mapped[str] = mapped_column(String(40), nullable=False)
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    auditor: Mapped[str] = mapped_column(String(200), nullable=False)
    overall_score: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)

    scores: Mapped[list[AuditScore]] = relationship(
        lazy="selectin", order_by="AuditScore.position", cascade="all, delete-orphan"
    )


class AuditScore(Base):
    __tablename__ = "audit_scores"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    audit_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("audits.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    criterion: Mapped[str] = mapped_column(String(30), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    required: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
