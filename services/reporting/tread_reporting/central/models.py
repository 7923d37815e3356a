from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_shared.db.types import BoundedDate, UTCDateTime
from tread_shared.ids import new_id


class CentralReport(Base):
    """A closed period's report as it was produced: its JSON document and its PDF."""

    __tablename__ = "central_reports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Unique: every replica's job may try, one report per period is stored.
    period: Mapped[str] = mapped_column(String(7), nullable=False, unique=True)
    period_start: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    period_end: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    produced_by: Mapped[str] = mapped_column(String(100), nullable=False)
    as_of_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    as_of_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
