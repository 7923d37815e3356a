"""Keeping the local account directory from account events.

Each event carries the full entry at a version; an entry older than the one held is ignored, so
redelivered or out-of-order events leave the directory as if applied once, in order.

A consumer applies a run of account events set-based (:func:`directory_batch_handlers`): the
newest entry of each account in the run, then one ``INSERT … ON CONFLICT DO UPDATE`` for all of
them that keeps a stored entry of a greater version. Per event, through the ORM (a ``get``, then
an INSERT or UPDATE), the directory cost each of four services about a millisecond of CPU per
account event, and a consumer that had fallen behind paid it for every event of its batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, Table, Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.auth.principal import Principal
from tread_shared.auth.scope import account_scope_clause, can_see_account
from tread_shared.db.flushing import flush_pending
from tread_shared.db.in_transaction import execute_rows_in, fetch_in
from tread_shared.db.upsert import upsert_newer
from tread_shared.directory.models import AccountDirectoryMixin
from tread_shared.errors import NotFound
from tread_shared.events.consumer import BatchHandler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.accounts import (
    AccountClosed,
    AccountCreated,
    AccountDeleted,
    AccountDirectoryEntry,
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


# An entry as a row of the directory table: the event's entry and whether it was deleted.
Entry = dict[str, Any]
_PAYLOADS: dict[str, type[AccountEvent]] = {
    payload.event_type(): payload for payload in DIRECTORY_EVENTS
}


def entry_of(event: CloudEvent) -> Entry:
    """The directory row an account event carries."""
    payload_type = _PAYLOADS[event.type]
    account = payload_type.model_validate(event.data).account
    return entry_row(account, deleted=payload_type is AccountDeleted)


def entry_row(account: AccountDirectoryEntry, *, deleted: bool = False) -> Entry:
    """The directory row of an account's entry."""
    values = account.model_dump()
    values["deleted"] = deleted
    return values


def newest_entries(events: Iterable[CloudEvent]) -> dict[uuid.UUID, Entry]:
    """Each account's entry after ``events`` (in stream order) as applying them one by one
    leaves it: the greatest version, the later of two equal ones."""
    return newest_of(entry_of(event) for event in events)


def newest_of(entries: Iterable[Entry]) -> dict[uuid.UUID, Entry]:
    """:func:`newest_entries` of entries already read off their events."""
    newest: dict[uuid.UUID, Entry] = {}
    for entry in entries:
        held = newest.get(entry["account_id"])
        if held is None or held["version"] <= entry["version"]:
            newest[entry["account_id"]] = entry
    return newest


async def held_entries(
    session: AsyncSession, model: type[AccountDirectoryMixin], account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Entry]:
    """The stored entries of ``account_ids`` (an unknown account is absent), in one statement,
    run on the driver in the session's transaction on PostgreSQL (``fetch_in``): through the
    session it cost ~130 us of CPU more, on every account event of the services that read the
    entries before the run (action plans, the inbox)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    await flush_pending(session)  # what the session's autoflush did before its SELECT
    table = _table(model)
    rows = await fetch_in(session, _held(table, session.get_bind().dialect.name), {"ids": ids})
    return {row.account_id: row._asdict() for row in rows}


async def upsert_entries(
    session: AsyncSession, model: type[AccountDirectoryMixin], entries: Iterable[Entry]
) -> None:
    """Store ``entries`` (one per account) in one statement; a stored entry of a greater
    version stays. Rows are written in account order, so that two replicas writing the same
    accounts lock them in the same order (no deadlock). A copy of an entry the session holds is
    expired: read again, it is the stored one."""
    rows = sorted(entries, key=lambda entry: entry["account_id"])
    if not rows:
        return
    await flush_pending(session)  # the session's own changes first, as the ORM path did
    # On the driver on PostgreSQL (through the session it cost ~130 us of CPU more, and every
    # service applies every account event).
    upsert = upsert_newer(
        session.get_bind().dialect.name, _table(model), "version", equal_replaces=True
    )
    await execute_rows_in(session, upsert, rows)
    if not session.identity_map:
        return
    for row in rows:
        held = session.identity_map.get(session.identity_key(model, row["account_id"]))
        if held is not None:
            session.expire(held)


def directory_batch_handler(model: type[AccountDirectoryMixin]) -> BatchHandler:
    """A consumer batch handler that keeps ``model`` (a service's directory table) from a run of
    account events."""

    async def apply(session: AsyncSession, events: Sequence[tuple[CloudEvent, int]]) -> None:
        entries = newest_entries(event for event, _stream_seq in events)
        await upsert_entries(session, model, entries.values())

    return apply


def directory_batch_handlers(model: type[AccountDirectoryMixin]) -> dict[str, BatchHandler]:
    """``ConsumerSpec.batch_handlers`` for the directory: one handler for every account event
    type, so that a run of mixed account events is one call."""
    return dict.fromkeys(_PAYLOADS, directory_batch_handler(model))


@cache
def _held(table: Table, dialect: str) -> Select[Any]:
    """The entries of a list of accounts: on PostgreSQL one array parameter (one statement for
    any number), elsewhere an expanding ``IN`` list."""
    if dialect == "postgresql":
        of_accounts = table.c.account_id == any_(bindparam("ids", type_=ARRAY(Uuid)))
    else:
        of_accounts = table.c.account_id.in_(bindparam("ids", expanding=True))
    return select(table).where(of_accounts)


def _table(model: type[AccountDirectoryMixin]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]  # a mapped class
    assert isinstance(table, Table)
    return table


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
