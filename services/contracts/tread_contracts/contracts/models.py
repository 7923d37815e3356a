from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tread_contracts.base import Base
from tread_contracts.programs.models import ProgramVersion
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import BoundedDate, UTCDateTime
from tread_shared.ids import new_id


class Contract(EntityMixin, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["program_id", "program_version"],
            ["program_versions.program_id", "program_versions.number"],
        ),
        # One active contract per account and program, even when two activations race.
        Index(
            "uq_contracts_active_per_account_program",
            "account_id",
            "program_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    program_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("programs.id"), nullable=False)
    program_version: Mapped[int] = mapped_column(Integer, nullable=False)
    tier: Mapped[str] = mapped_column(String(40), nullable=False)
    start_date: Mapped[date] = mapped_column(BoundedDate, nullable=False)
    end_date: Mapped[date] = mapped_column(BoundedDate, nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    commitments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    terms: Mapped[str | None] = mapped_column(Text, nullable=True)
    offer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("offers.id"), nullable=True, unique=True
    )
    renews_contract_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("contracts.id"), nullable=True
    )
    # The open (or, once it is active, the taking-over) renewal of this contract.
    renewal_contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    termination_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    # Joined: a contract always has its program version (composite foreign key, not null), so
    # an inner join reads it with the contract, one round trip less than a second SELECT.
    program_terms: Mapped[ProgramVersion] = relationship(lazy="joined", innerjoin=True)
    signatures: Mapped[list[ContractSignature]] = relationship(
        lazy="selectin", order_by="ContractSignature.signed_at", cascade="all, delete-orphan"
    )

    def signature_of(self, party: str) -> ContractSignature | None:
        return next((s for s in self.signatures if s.party == party), None)


class ContractSignature(Base):
    """A party's signature record; one per party and contract, so a double signature cannot
    slip in even when two requests race."""

    __tablename__ = "contract_signatures"
    __table_args__ = (UniqueConstraint("contract_id", "party"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("contracts.id"), nullable=False)
    party: Mapped[str] = mapped_column(String(20), nullable=False)
    signer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    signer_role: Mapped[str] = mapped_column(String(200), nullable=False)
    method: Mapped[str] = mapped_column(String(50), nullable=False)
    document_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)


class RenewalNotice(Base):
    """A renewal-due event was emitted for this contract and window: never again."""

    __tablename__ = "contract_renewal_notices"

    contract_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("contracts.id"), primary_key=True
    )
    window_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
