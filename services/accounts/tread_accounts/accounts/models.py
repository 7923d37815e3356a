from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from tread_accounts.base import Base
from tread_shared.db.base import EntityMixin
from tread_shared.db.types import UTCDateTime
from tread_shared.ids import new_id

LIVE = text("deleted_at IS NULL")


class Account(EntityMixin, Base):
    """A dealer or end-user account.

    ``key_account_manager_id`` is the *effective* key account manager, the one the scope rule
    reads: the account's own (``own_key_account_manager_id``) or, when it has none, its dealer
    group's. Groups are one level deep, so the group's own is also its effective one."""

    __tablename__ = "accounts"

    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    legal_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    erp_customer_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    key_account_manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    own_key_account_manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("accounts.id"), nullable=True, index=True
    )
    segment: Mapped[str | None] = mapped_column(String(100), nullable=True)
    channels: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    quadrant: Mapped[str | None] = mapped_column(String(30), nullable=True)

    __table_args__ = (
        # Lists come in id order within the caller's scope: one index per scope rule, so a page
        # reads little more than its own rows.
        Index("ix_accounts_owner_id_id", "owner_id", "id"),
        Index("ix_accounts_territory_id", "territory", "id"),
        Index("ix_accounts_key_account_manager_id_id", "key_account_manager_id", "id"),
        # A deleted account frees its billing number for a new one.
        Index(
            "uq_accounts_erp_customer_id",
            "erp_customer_id",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )


class AccountAssignment(Base):
    """One change of who holds an account: its owner (a transfer), its territory or its
    effective key account manager. Kept forever: the portfolio's history, and how an offline
    client learns that an account left its scope."""

    __tablename__ = "account_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    previous_owner_id: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    previous_territory: Mapped[str] = mapped_column(String(100), nullable=False)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    previous_key_account_manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    key_account_manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
