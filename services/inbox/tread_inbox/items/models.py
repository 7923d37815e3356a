"""An item is addressed to an audience, not to a list of users: the inbox knows no users, only
the tokens that call it. Who is in the audience is decided when someone reads, from the account
directory and the caller's roles, so that an account moving to another manager moves its items
too, and nobody ever sees an item about an account outside their scope."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tread_inbox.base import Base
from tread_shared.clock import utcnow
from tread_shared.db.types import UTCDateTime
from tread_shared.ids import new_id


class InboxItem(Base):
    __tablename__ = "inbox_item"
    __table_args__ = (
        Index("ix_inbox_item_resource", "resource_type", "resource_id"),
        Index("ix_inbox_item_updated", "updated_at", "id"),
        # The page's paths (repository._paths) that no other index answers: central's items,
        # a territory's items without an account, each newest first.
        Index("ix_inbox_item_central", "for_central", "id"),
        Index("ix_inbox_item_territory", "territory", "id"),
        # Each role's path through the account's audience, newest first (audience.role_paths).
        Index("ix_inbox_item_account_owner", "account_owner_id", "id"),
        Index("ix_inbox_item_account_kam", "account_key_account_manager_id", "id"),
        Index("ix_inbox_item_account_territory", "account_territory", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # What made the item, once: a replayed or repeated event finds it and makes nothing.
    key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    category: Mapped[str] = mapped_column(String(10), nullable=False)  # decision | alert
    title: Mapped[str] = mapped_column(String(400), nullable=False)
    reason: Mapped[str] = mapped_column(String(300), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(40), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(100), nullable=False)
    resource_url: Mapped[str] = mapped_column(String(300), nullable=False)
    # The audience: a named user, or the roles that reach it through the account (its owner,
    # its key account manager, the district manager of its territory), or central.
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    territory: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recipient_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    for_account_manager: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    for_key_account_manager: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    for_district_manager: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    for_central: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The account's audience as the directory has it now (its owner, key account manager and
    # territory; all NULL while the account is unknown here or deleted), kept with the item
    # so that each role's page and count is one index: set when the item is made, and when the
    # account moves (the items take a new position then anyway, service.follow_accounts).
    account_owner_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    account_key_account_manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    account_territory: Mapped[str | None] = mapped_column(String(100), nullable=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # A decision taken (by anyone entitled) closes the item for everyone.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The change sequence (see stream/): every change takes the next position, in commit order.
    position: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ItemReceipt(Base):
    """What one user did with an item: read it, put it away (done). ``updated_at`` is the time
    of the last mark: the item changed then for that user (``updated_since`` lists it)."""

    __tablename__ = "item_receipt"
    __table_args__ = (Index("ix_item_receipt_user_updated", "user_id", "updated_at"),)

    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ItemDeparture(Base):
    """An item left the audience it had: its account moved to another owner, key account
    manager or territory. The former audience is kept, so that the users it reached then and
    reaches no longer are told to drop the item (on the push stream and in ``updated_since``);
    the change takes a position in the change sequence like any other."""

    __tablename__ = "item_departure"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # The account's directory entry as it was before the move (the former audience).
    owner_id: Mapped[str] = mapped_column(String(200), nullable=False)
    territory: Mapped[str] = mapped_column(String(100), nullable=False)
    key_account_manager_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    departed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class DecisionProgress(Base):
    """The latest step of a resource that waits for decisions (an offer, a plan, a case…) that
    the inbox applied: what an event of the resource is compared with (``items/decisions.py``),
    and who took that step and when, for a request that arrives after it. Forgotten once
    nothing of the resource waits and no older event can still arrive (``items/retention.py``)."""

    __tablename__ = "decision_progress"

    resource_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    stepped_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    stepped_by: Mapped[str] = mapped_column(String(200), nullable=False)
    # When the inbox applied the step (``stepped_at`` is the event's own time).
    applied_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )


class OpenItemCount(Base):
    """How many items are open (not done, not removed) per role audience and kind, for
    everybody's unread counts. An audience is what the role paths of an item reach: the
    account's owner (``owner_id``, for account managers), its key account manager, the
    territory (district managers), central; ``''`` where the item is not for that role. Items
    named to a user are not counted here (few, read from their rows: their scope depends on the
    reader's token). Kept in the transaction of every change to an item's open state or
    audience (``service._count``). A caller's unread count is the open count of every audience
    they are in, each once, minus their own marks on those items."""

    __tablename__ = "open_item_count"

    owner_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    key_account_manager_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    territory: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    for_central: Mapped[bool] = mapped_column(Boolean, primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    open: Mapped[int] = mapped_column(Integer, nullable=False)
