from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_shared.db.types import UTCDateTime


class AccountEntry(Base):
    """An account as the latest account event described it (``AccountDirectoryEntry``)."""

    __tablename__ = "rm_accounts"
    __table_args__ = (
        Index("ix_rm_accounts_owner", "generation", "owner_id"),
        Index("ix_rm_accounts_territory", "generation", "territory"),
    )

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    key_account_manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    segment: Mapped[str | None] = mapped_column(String(100), nullable=True)
    erp_customer_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    quadrant: Mapped[str | None] = mapped_column(String(30), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
