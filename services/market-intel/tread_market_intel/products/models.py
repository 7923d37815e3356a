from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_market_intel.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, ExactDecimal

# The territory of a price-book entry that applies wherever no territory has its own.
DEFAULT_TERRITORY = "*"


class Product(EntityMixin, Base):
    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    brand: Mapped[str] = mapped_column(String(100), nullable=False)
    range: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    usage_types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(20), nullable=False)


class PriceEntry(EntityMixin, Base):
    """One line of a price book: a product's list price in a territory over a period."""

    __tablename__ = "price_entries"
    __table_args__ = (
        UniqueConstraint("product_id", "territory", "currency", "valid_from"),
        Index("ix_price_entries_lookup", "product_id", "territory", "valid_from"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("products.id"), nullable=False)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    valid_from: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(BoundedDate, nullable=True)
    changed_by: Mapped[str] = mapped_column(String(200), nullable=False)
