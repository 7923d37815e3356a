from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_contracts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import ExactDecimal, UTCDateTime


class Attestation(EntityMixin, Base):
    """Someone attested, with evidence, where a contract stands on a named requirement (a
    tier's ``other_requirements`` or the contract's ``other`` commitments) on a day."""

    __tablename__ = "attestations"
    __table_args__ = (Index("ix_attestations_contract_requirement", "contract_id", "requirement"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contracts.id"), nullable=False)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    requirement: Mapped[str] = mapped_column(String(200), nullable=False)
    # What was found (e.g. 4 trained staff) when the requirement has a minimum.
    value: Mapped[Decimal | None] = mapped_column(ExactDecimal, nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attested_by: Mapped[str] = mapped_column(String(200), nullable=False)

    def meets(self, minimum: Decimal | None) -> bool:
        """Met: attested, and the value found reaches the minimum when there is one."""
        return minimum is None or (self.value is not None and self.value >= minimum)
