"""Keeping the local account directory from account events.

Each event carries the full entry at a version; an entry older than the one held is ignored, so
redelivered or out-of-order events leave the directory as if applied once, in order."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.auth.principal import Principal
from tread_shared.auth.scope import account_scope_clause, can_see_account
from tread_shared.directory.models import AccountDirectoryMixin
from tread_shared.errors import NotFound
from tread_shared.events.consumer import Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.accounts import (
    AccountClosed,
    AccountCreated,
    AccountDeleted,
    AccountEvent,
    AccountQualified,
    AccountReassigned,
    AccountUpdated,
)

DIRECTORY_EVENTS: tuple[type[AccountEvent], ...] = (
    AccountCreated,
    AccountUpdated,
    AccountReassigned,
    AccountQualified,
    AccountClosed,
    AccountDeleted,
)


def directory_handlers(model: type[AccountDirectoryMixin]) -> dict[str, Handler]:
    """Consumer handlers, by event type, that keep ``model`` (a service's directory table)."""

    def handler_for(payload_type: type[AccountEvent]) -> Handler:
        async def apply(session: AsyncSession, event: CloudEvent, _stream_seq: int) -> None:
            payload = payload_type.model_validate(event.data)
            await upsert_entry(session, model, payload, deleted=payload_type is AccountDeleted)

        return apply

    return {payload.event_type(): handler_for(payload) for payload in DIRECTORY_EVENTS}


async def upsert_entry(
    session: AsyncSession,
    model: type[AccountDirectoryMixin],
    payload: AccountEvent,
    *,
    deleted: bool = False,
) -> None:
    entry = payload.account
    row: Any = await session.get(model, entry.account_id)
    values = entry.model_dump()
    values["deleted"] = deleted
    if row is None:
        session.add(model(**values))
        return
    if row.version > entry.version:
        return
    for key, value in values.items():
        setattr(row, key, value)


def scope_clause(principal: Principal, model: type[AccountDirectoryMixin]) -> Any:
    """SQL condition on ``model`` selecting the directory entries ``principal`` may see."""
    return account_scope_clause(
        principal,
        owner_id=model.owner_id,
        territory=model.territory,
        key_account_manager_id=model.key_account_manager_id,
    )


# The columns of a directory entry that :func:`sees_entry` reads (the key first: NULL when an
# outer join found no entry).
SCOPE_COLUMNS = ("account_id", "deleted", "owner_id", "territory", "key_account_manager_id")


def sees_entry(principal: Principal, entry: Any) -> bool:
    """Whether ``principal`` may see the account of directory entry ``entry`` (an entity, or a
    row's part with :data:`SCOPE_COLUMNS`): not when there is none (``None``), or it is
    deleted."""
    return (
        entry is not None
        and not entry.deleted
        and can_see_account(
            principal,
            owner_id=entry.owner_id,
            territory=entry.territory,
            key_account_manager_id=entry.key_account_manager_id,
        )
    )


async def visible_account(
    session: AsyncSession,
    model: type[AccountDirectoryMixin],
    principal: Principal,
    account_id: uuid.UUID,
) -> AccountDirectoryMixin:
    """The directory entry of an account ``principal`` may see; 404 otherwise (also when the
    account is unknown here, deleted, or its creation event has not arrived yet)."""
    row: Any = await session.get(model, account_id)
    if not sees_entry(principal, row):
        raise NotFound(f"No account {account_id}.")
    entry: AccountDirectoryMixin = row
    return entry
