from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_market_intel.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import UTCDateTime
from tread_shared.ids import new_id


class Argument(EntityMixin, Base):
    """A selling argument; its text is that of its latest version."""

    __tablename__ = "arguments"

    product_code: Mapped[str | None] = mapped_column(String(60), nullable=True, index=True)
    usage_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    segment: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    claim: Mapped[str] = mapped_column(Text, nullable=False)
    proof_points: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    sources: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    current_version: Mapped[int] = mapped_column(Integer, nullable=False)
    author_id: Mapped[str] = mapped_column(String(200), nullable=False)
    validated_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ArgumentVersion(Base):
    """The text of an argument as written at one time, kept for the history."""

    __tablename__ = "argument_versions"
    __table_args__ = (UniqueConstraint("argument_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    argument_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("arguments.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    claim: Mapped[str] = mapped_column(Text, nullable=False)
    proof_points: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    sources: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    written_by: Mapped[str] = mapped_column(String(200), nullable=False)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
