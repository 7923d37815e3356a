"""Events of the accounts service.

Every account event carries the account's directory entry (owner, territory, group, status…)
at the event's ``version``, so that other services keep their local directory with an upsert
that ignores anything older than what they hold."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from tread_shared.events.registry import EventPayload


class AccountDirectoryEntry(BaseModel):
    """What other services need to know of an account: who owns it and where it is."""

    account_id: uuid.UUID
    version: int
    name: str
    kind: str
    status: str
    territory: str
    owner_id: str
    key_account_manager_id: str | None = None
    parent_id: uuid.UUID | None = None
    segment: str | None = None
    erp_customer_id: str | None = None
    quadrant: str | None = None
    updated_at: datetime


class AccountEvent(EventPayload):
    """Base of the events that change an account's directory entry."""

    service = "accounts"
    entity = "account"
    account: AccountDirectoryEntry


class AccountCreated(AccountEvent):
    """A dealer or end-user account entered a portfolio."""

    verb = "created"


class AccountUpdated(AccountEvent):
    """An account's details changed (name, status, territory, segment, group…)."""

    verb = "updated"
    changed_fields: list[str]


class AccountReassigned(AccountEvent):
    """The account moved to another account manager's portfolio."""

    verb = "reassigned"
    previous_owner_id: str
    reason: str
    reassigned_by: str


class AccountClosed(AccountEvent):
    """The account's status became ``closed``."""

    verb = "closed"


class AccountDeleted(AccountEvent):
    """The account was deleted (soft: offline clients receive a tombstone)."""

    verb = "deleted"
