from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tread_reporting.base import Base
from tread_shared.db.types import UTCDateTime


class Generation(Base):
    """One set of read-model rows: ``active`` (what reads use), ``building`` (a rebuild filling
    it), ``retired`` (replaced), ``failed`` or ``abandoned`` (a rebuild that stopped), and
    ``dropped`` once the rows of a retired, failed or abandoned one are deleted."""

    __tablename__ = "read_model_generations"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    # Events up to this stream sequence came from the replay; the live consumer applies only
    # later ones to this generation.
    replayed_to: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # as_of: the greatest stream sequence applied, and that event's time.
    applied_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    applied_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    events_replayed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    events_skipped: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    replay_target_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class GenerationPointer(Base):
    """The single row naming the active generation (and the one being built). The live consumer
    reads it under a shared lock; the swap changes it under an exclusive one."""

    __tablename__ = "read_model_pointer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    active_generation: Mapped[int] = mapped_column(Integer, nullable=False)
    building_generation: Mapped[int | None] = mapped_column(Integer, nullable=True)
