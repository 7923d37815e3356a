from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_shared.db.types import UTCDateTime


class EventTypeCount(Base):
    __tablename__ = "event_type_counts"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The time of the earliest event of this type (event time, so a rebuild finds the same).
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_stream_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
