from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from tread_market_intel.base import Base
from tread_shared.db.base import EntityMixin


class Subscription(EntityMixin, Base):
    """What part of the market a user wants in his weekly digest (empty list: all of it)."""

    __tablename__ = "subscriptions"

    subscriber_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    email: Mapped[str | None] = mapped_column(String(300), nullable=True)
    territories: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    competitors: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    ranges: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
