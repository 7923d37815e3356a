"""The account directory kept from the accounts service's events, a run of them at a time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tread_market_intel.directory.models import AccountDirectory
from tread_shared.events.payloads.accounts import (
    AccountCreated,
    AccountDeleted,
    AccountDirectoryEntry,
    AccountReassigned,
)
from tread_shared.testing.event_feed import AccountFeed, account_event
from tread_shared.testing.http import Caller, assert_problem

Seen = Callable[..., dict[str, Any]]
CODE = "TR-315/80R22.5-XMD"
AT = "2026-12-01T08:00:00Z"


def _reassigned(entry: AccountDirectoryEntry, owner_id: str) -> AccountReassigned:
    moved = entry.model_copy(update={"owner_id": owner_id, "version": entry.version + 1})
    return AccountReassigned(
        account=moved, previous_owner_id=entry.owner_id, reason="portfolio", reassigned_by="dm"
    )


async def test_an_account_follows_its_events_and_an_older_one_changes_nothing(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    market: Any,
    accounts: AccountFeed,
    seen: Seen,
) -> None:
    await market.product(CODE)
    am = callers["am"]  # am-1
    account_id = await accounts.open(owner_id="am-9", territory="north")
    first = accounts.entries[account_id]

    async def record() -> httpx.Response:
        body = seen(CODE, "1890", AT, account_id=str(account_id))
        return await client.post("/v1/observations", json=body, headers=am.headers)

    # Someone else's account: unknown to this account manager.
    assert_problem(await record(), 422, "unknown-account")

    await accounts.reassign(account_id, "am-1")
    assert (await record()).status_code == 201

    # The creation delivered again, late (JetStream's window no longer catches it): the account
    # stays with its new owner.
    await accounts.publish(AccountCreated(account=first), account_id, event_id=str(uuid.uuid4()))
    assert (await record()).status_code == 201


async def test_a_run_of_events_leaves_the_directory_as_one_by_one_would(
    app: FastAPI, client: httpx.AsyncClient, accounts: AccountFeed
) -> None:
    # ``client``: the service running, its consumer built.
    db = app.state.runtime.db
    handler = app.state.runtime.consumers[0].spec.batch_handlers[AccountCreated.event_type()]
    moved = accounts.entry(owner_id="am-1")
    gone = accounts.entry(owner_id="am-1")
    kept = accounts.entry(owner_id="am-1")
    # An entry already stored at a later version than the run brings.
    ahead = kept.model_copy(update={"owner_id": "am-5", "version": 3})
    async with db.unit_of_work() as session:
        await handler(session, [(account_event(AccountCreated(account=ahead)), 1)])

    to_b = _reassigned(moved, "am-2")
    to_c = _reassigned(to_b.account, "am-3")
    deleted = gone.model_copy(update={"version": 2})
    run = [
        account_event(AccountCreated(account=moved)),
        account_event(AccountCreated(account=gone)),
        account_event(to_b),
        account_event(to_c),
        account_event(AccountCreated(account=moved)),  # older than what the run already holds
        account_event(AccountDeleted(account=deleted)),
        account_event(AccountCreated(account=kept)),  # older than what is stored
    ]
    async with db.unit_of_work() as session:
        # A copy the session holds before the run is read again after it.
        held = await session.get(AccountDirectory, kept.account_id)
        assert held is not None and held.owner_id == "am-5"
        await handler(session, [(event, n) for n, event in enumerate(run, start=2)])
        again = await session.get(AccountDirectory, kept.account_id)
        assert again is held and (held.owner_id, held.version) == ("am-5", 3)
        await handler(session, [(account_event(_reassigned(ahead, "am-6")), 9)])
        again = await session.get(AccountDirectory, kept.account_id)
        assert again is held and (held.owner_id, held.version) == ("am-6", 4)

    async with db.reading() as connection:
        rows = {
            row.account_id: row
            for row in await connection.execute(select(AccountDirectory.__table__))
            if row.account_id in (moved.account_id, gone.account_id, kept.account_id)
        }
    assert (rows[moved.account_id].owner_id, rows[moved.account_id].version) == ("am-3", 3)
    assert not rows[moved.account_id].deleted
    assert rows[gone.account_id].deleted and rows[gone.account_id].version == 2
    assert (rows[kept.account_id].owner_id, rows[kept.account_id].version) == ("am-6", 4)
