"""The one consumer of the other services' events: the account directory (items follow their
account's owner, key account manager and territory) and every event that makes or closes an
item. One consumer, so that an account's creation and the events about it apply in order.

Account events are applied a run at a time (the consumer's batch handler): the directory in
one statement for every account of the run, then the items of the accounts that moved or went,
found in one statement. A consumer that fell behind pays a few statements per pulled batch, not
several per event; a new account, the usual event, has no items to follow it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.events import item_handlers
from tread_inbox.items.service import AccountAudience, AccountMove, follow_accounts
from tread_inbox.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.directory.handlers import (
    DIRECTORY_EVENTS,
    held_entries,
    newest_entries,
    upsert_entries,
)
from tread_shared.events.consumer import ConsumerSpec
from tread_shared.events.envelope import CloudEvent

DURABLE = "inbox-events"


async def apply_account_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, int]]
) -> None:
    """A run of account events (stream order): the directory, then the items of each account
    whose audience the run changed, or that it deleted.

    The directory first, then the items (and the change counter): the order of every directory
    write, so that two runs of one account on two replicas never deadlock.

    An account's items move once, from its audience before the run to the one after: the
    entries in between were never committed, so nobody saw the items there, and one departure
    from the audience before the run tells everyone who had them. Applied one by one, the
    events would leave the same items, counts and pages, and departures from the in-between
    audiences too, which tell users to drop items they never had."""
    newest = newest_entries(event for event, _stream_seq in events)
    held = await held_entries(session, AccountDirectory, newest)
    await upsert_entries(session, AccountDirectory, newest.values())
    moves: dict[uuid.UUID, AccountMove] = {}
    for account_id, entry in newest.items():
        stored = held.get(account_id)
        if stored is not None and stored["version"] > entry["version"]:
            continue  # older than the entry held: the directory kept it, nothing moved
        former = _audience(stored)
        if entry["deleted"]:
            moves[account_id] = AccountMove(former, deleted=True)
        elif _audience(entry) != former:
            moves[account_id] = AccountMove(former)
    await follow_accounts(session, moves)


def _audience(entry: Mapping[str, Any] | None) -> AccountAudience | None:
    if entry is None or entry["deleted"]:
        return None
    return AccountAudience(entry["owner_id"], entry["territory"], entry["key_account_manager_id"])


def events_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    return ConsumerSpec(
        durable=DURABLE,
        subjects=["accounts.>", "contracts.>", "actionplans.>", "market-intel.>"],
        handlers=item_handlers(settings.public_url),
        # One handler object for every account event type: a run of them is one call.
        batch_handlers=dict.fromkeys(
            (payload.event_type() for payload in DIRECTORY_EVENTS), apply_account_events
        ),
    )
