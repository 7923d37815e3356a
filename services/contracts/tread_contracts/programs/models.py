from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_contracts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import UTCDateTime


class Program(EntityMixin, Base):
    """A program; its tiers live in its versions, the latest being ``current_version``."""

    __tablename__ = "programs"

    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    current_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)


class ProgramVersion(Base):
    """A published version of a program. Never changed: contracts point at the one they were
    written under."""

    __tablename__ = "program_versions"

    program_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("programs.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    published_by: Mapped[str] = mapped_column(String(200), nullable=False)
