"""The mail outbox. A row is written in the transaction that decides the mail (the item's event,
or the digest of a day), unique on what it is about, so a replay decides nothing twice; the
sender claims rows, sends, and marks them sent. A row whose send failed is tried again later."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_inbox.base import Base
from tread_shared.db.types import UTCDateTime
from tread_shared.ids import new_id


class OutgoingMail(Base):
    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_due", "state", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # ``item:<item id>:<user>`` or ``digest:<day>:<user>``.
    key: Mapped[str] = mapped_column(String(300), nullable=False, unique=True)
    user_id: Mapped[str] = mapped_column(String(200), nullable=False)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(400), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str] = mapped_column(Text, nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # Set when a sender claims the row: another sender leaves it alone until this passes.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DigestRun(Base):
    """Which days' digests were decided: one row per day, taken by one replica."""

    __tablename__ = "digest_run"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
