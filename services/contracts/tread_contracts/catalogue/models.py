from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_contracts.base import Base
from tread_shared.db.types import BoundedDate, ExactDecimal

# The territory of a default price (market-intel sends ``null``).
DEFAULT_TERRITORY = "*"


class CatalogueProduct(Base):
    __tablename__ = "catalogue_products"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    product_version: Mapped[int] = mapped_column(Integer, nullable=False)


class CataloguePrice(Base):
    __tablename__ = "catalogue_prices"

    price_entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    product_code: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal, nullable=False)
    valid_from: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(BoundedDate, nullable=True)
    entry_version: Mapped[int] = mapped_column(Integer, nullable=False)
