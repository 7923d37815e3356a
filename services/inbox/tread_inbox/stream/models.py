from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tread_inbox.base import Base


class ChangeCounter(Base):
    """Named positions of the change sequence. ``items``: the last position taken. Taking the
    next one locks the row until the transaction ends, so positions become visible in the order
    they were taken and a stream that resumes after position N can never miss a change committed
    later with a smaller one. ``departures_forgotten``: the highest position of a departure
    forgotten past the sync horizon (a stream resuming from before it is told to list again)."""

    __tablename__ = "change_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
