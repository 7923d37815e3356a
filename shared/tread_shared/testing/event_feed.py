"""Playing another service in a test: publish its real events into the test's stream and wait
until the service under test has applied them."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

from fastapi import FastAPI

from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.accounts import (
    AccountCreated,
    AccountDirectoryEntry,
    AccountEvent,
    AccountReassigned,
    AccountUpdated,
)
from tread_shared.events.registry import EventPayload
from tread_shared.settings import ServiceSettings

_numbers = itertools.count(1)


def cloud_event(payload: EventPayload, subject: uuid.UUID | str) -> CloudEvent:
    """``payload`` about ``subject`` as its producer sends it."""
    return CloudEvent(
        source=payload.service or "test",
        type=payload.event_type(),
        subject=str(subject),
        data=payload.model_dump(mode="json"),
    )


def account_event(payload: AccountEvent) -> CloudEvent:
    """An account event as the accounts service sends it, about the account it carries."""
    return cloud_event(payload, payload.account.account_id)


class EventFeed:
    """Publishes events as their producer would, and waits for ``app``'s first consumer."""

    def __init__(self, app: FastAPI, settings: ServiceSettings) -> None:
        self.app = app
        self.settings = settings

    async def publish(
        self, payload: EventPayload, subject: uuid.UUID | str, *, event_id: str | None = None
    ) -> CloudEvent:
        """Publish ``payload`` (again, with the same ``event_id``, to play a redelivery that
        JetStream's de-duplication window no longer catches: pass a new id)."""
        event = cloud_event(payload, subject)
        if event_id is not None:
            event = event.model_copy(update={"id": event_id})
        await self.publish_event(event)
        return event

    async def publish_event(self, event: CloudEvent) -> None:
        runtime = self.app.state.runtime
        js = await runtime.broker.wait_ready()
        ack = await js.publish(
            nats_subject_for(event.type, self.settings.nats_subject_root),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"{event.id}-{uuid.uuid4().hex}"},
        )
        consumer = runtime.consumers[0]
        for _ in range(800):
            if consumer.last_stream_seq >= ack.seq:
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"{self.settings.service_name} did not apply {event.type} in time")


class AccountFeed(EventFeed):
    """Plays the accounts service's directory events."""

    def __init__(self, app: FastAPI, settings: ServiceSettings) -> None:
        super().__init__(app, settings)
        self.entries: dict[uuid.UUID, AccountDirectoryEntry] = {}

    def entry(self, **fields: Any) -> AccountDirectoryEntry:
        number = next(_numbers)
        values: dict[str, Any] = {
            "account_id": uuid.uuid4(),
            "version": 1,
            "name": f"Dealer {number}",
            "kind": "dealer",
            "status": "active",
            "territory": "north",
            "owner_id": "am-1",
            "key_account_manager_id": "kam-1",
            "segment": "truck_dealer",
            "erp_customer_id": f"ERP-{number}",
            "updated_at": utcnow(),
            **fields,
        }
        entry = AccountDirectoryEntry(**values)
        self.entries[entry.account_id] = entry
        return entry

    async def open(self, **fields: Any) -> uuid.UUID:
        """A new account in the directory; its id."""
        entry = self.entry(**fields)
        await self.publish(AccountCreated(account=entry), entry.account_id)
        return entry.account_id

    def _next(self, account_id: uuid.UUID, **changes: Any) -> AccountDirectoryEntry:
        entry = self.entries[account_id]
        entry = entry.model_copy(
            update={**changes, "version": entry.version + 1, "updated_at": utcnow()}
        )
        self.entries[account_id] = entry
        return entry

    async def reassign(self, account_id: uuid.UUID, owner_id: str) -> None:
        previous = self.entries[account_id].owner_id
        entry = self._next(account_id, owner_id=owner_id)
        await self.publish(
            AccountReassigned(
                account=entry, previous_owner_id=previous, reason="portfolio", reassigned_by="dm"
            ),
            account_id,
        )

    async def update(self, account_id: uuid.UUID, **changes: Any) -> None:
        entry = self._next(account_id, **changes)
        await self.publish(
            AccountUpdated(account=entry, changed_fields=sorted(changes)), account_id
        )
