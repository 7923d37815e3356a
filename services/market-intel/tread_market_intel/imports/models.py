from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tread_market_intel.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import UTCDateTime


class CatalogueImport(EntityMixin, Base):
    """A CSV file that changed the catalogue; the same file again is answered from here."""

    __tablename__ = "catalogue_imports"

    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    mode: Mapped[str] = mapped_column(String(20), nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    applied_rows: Mapped[int] = mapped_column(Integer, nullable=False)
    products_created: Mapped[int] = mapped_column(Integer, nullable=False)
    products_changed: Mapped[int] = mapped_column(Integer, nullable=False)
    prices_set: Mapped[int] = mapped_column(Integer, nullable=False)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    imported_by: Mapped[str] = mapped_column(String(200), nullable=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
