from __future__ import annotations

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tread_notes.base import Base
from tread_shared.db.base import EntityMixin


class Note(EntityMixin, Base):
    """A note an account manager keeps; only its owner sees it."""

    __tablename__ = "notes"

    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    pinned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
