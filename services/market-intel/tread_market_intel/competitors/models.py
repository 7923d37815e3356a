from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tread_market_intel.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.ids import new_id


class CompetitorProduct(EntityMixin, Base):
    __tablename__ = "competitor_products"

    competitor: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    brand: Mapped[str] = mapped_column(String(100), nullable=False)
    range: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    positioning: Mapped[str] = mapped_column(String(20), nullable=False)

    equivalences: Mapped[list[Equivalence]] = relationship(
        lazy="selectin", order_by="Equivalence.product_code", cascade="all, delete-orphan"
    )


class Equivalence(Base):
    """A competitor product is comparable to an own product (many to many), with why."""

    __tablename__ = "equivalences"
    __table_args__ = (UniqueConstraint("competitor_product_id", "product_code"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    competitor_product_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("competitor_products.id"), nullable=False
    )
    product_code: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
