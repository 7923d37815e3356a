"""A user's mail preferences, and who they were when they set them: the inbox knows users only
through their tokens, so the address and the roles and territories that decide which items
reach them are kept from the last call that set preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from tread_inbox.base import Base
from tread_shared.db.types import UTCDateTime


class MailSubscriber(Base):
    __tablename__ = "mail_subscriber"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    roles: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    territories: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    # Kind → immediate | daily | off; kinds not named are ``default_delivery``.
    deliveries: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    default_delivery: Mapped[str] = mapped_column(String(10), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
