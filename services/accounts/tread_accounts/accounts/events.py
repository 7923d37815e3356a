"""Account events: each carries the account's directory entry at the version just written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.accounts.models import Account
from tread_accounts.snapshots import snapshot
from tread_shared.db.concurrency import flush_changes
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import AccountDirectoryEntry, AccountEvent


def directory_entry(account: Account) -> AccountDirectoryEntry:
    return snapshot(AccountDirectoryEntry, account, account_id=account.id)


async def record_account_event(
    session: AsyncSession,
    outbox: Outbox,
    payload_type: type[AccountEvent],
    account: Account,
    **fields: Any,
) -> None:
    """Write the change (so the account's version is the new one), then its event."""
    await flush_changes(session)
    payload = payload_type(account=directory_entry(account), **fields)
    await outbox.add(session, payload, subject=str(account.id))
