"""The directory kept from the accounts service's events, and the plans that follow their account:
open plans take the account's territory; those owned by its previous manager (or by no one yet:
drafted from an event before the account arrived) go to its new manager.

A run of account events is applied set-based, as the consumer hands it over: the run's stored
entries in one statement, the open plans of its accounts in another, the plans followed in
memory, then the directory in one upsert. Applied one by one, each event cost two reads and a
write of its own (about 2 ms of CPU), however far behind the consumer was."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.plans import repository as plans
from tread_actionplans.plans.models import Plan
from tread_shared.directory.handlers import (
    DIRECTORY_EVENTS,
    Entry,
    entry_of,
    held_entries,
    newest_of,
    upsert_entries,
)
from tread_shared.events.consumer import BatchHandler
from tread_shared.events.envelope import CloudEvent


def _follow(plans_of_account: Sequence[Plan], previous: Entry | None, entry: Entry) -> Entry:
    """Apply one event's ``entry`` to its account's open plans, ``previous`` being the entry
    held before it (the stored one, an earlier event's, or ``None``); the entry held after it.
    An event older than the entry held changes nothing."""
    if previous is not None and previous["version"] > entry["version"]:
        return previous
    previous_owner = previous["owner_id"] if previous is not None else None
    for plan in plans_of_account:
        plan.territory = entry["territory"]
        if plan.owner_id is None or plan.owner_id == previous_owner:
            plan.owner_id = entry["owner_id"]
    return entry


async def apply_account_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, int]]
) -> None:
    """Apply a run of account events (in stream order) as applying them one by one would: each
    account's events walk its plans from the entry stored before the run, each taking the
    previous one's place, so that A→B then B→C in one run moves a plan of B's to C."""
    entries = [entry_of(event) for event, _stream_seq in events]
    account_ids = {entry["account_id"] for entry in entries}
    held = await held_entries(session, AccountDirectory, account_ids)
    previous: dict[uuid.UUID, Entry] = dict(held)
    open_plans: dict[uuid.UUID, list[Plan]] = {}
    for plan in await plans.open_of_accounts(session, account_ids):
        assert plan.account_id is not None  # selected by account
        open_plans.setdefault(plan.account_id, []).append(plan)
    for entry in entries:
        account_id = entry["account_id"]
        previous[account_id] = _follow(
            open_plans.get(account_id, ()), previous.get(account_id), entry
        )
    # Plans first, then the directory (upsert_entries flushes the plans before its upsert), as
    # applying one event did. Nothing else in actionplans locks directory rows (requests and
    # the other handlers only read them), and the plans are updated in id order, so two
    # replicas applying runs about the same accounts take their locks in the same order.
    await upsert_entries(session, AccountDirectory, newest_of(entries).values())


def account_batch_handlers() -> dict[str, BatchHandler]:
    """``ConsumerSpec.batch_handlers`` for the account events: one handler for every type, so
    that a run of mixed account events is one call."""
    return {payload.event_type(): apply_account_events for payload in DIRECTORY_EVENTS}
