"""The one consumer of the other services' events: the account directory (items follow their
account's owner, key account manager and territory) and every event that makes or closes an
item. One consumer, so that an account's creation and the events about it apply in order."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.events import item_handlers
from tread_inbox.items.service import remove_items_of_account
from tread_inbox.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.directory.handlers import directory_handlers
from tread_shared.events.consumer import ConsumerSpec, Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.accounts import AccountDeleted

DURABLE = "inbox-events"


def _deleting(apply: Handler) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        payload = AccountDeleted.model_validate(event.data)
        await remove_items_of_account(session, payload.account.account_id)
        await apply(session, event, stream_seq)

    return handle


def events_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    handlers = directory_handlers(AccountDirectory)
    deleted = AccountDeleted.event_type()
    handlers[deleted] = _deleting(handlers[deleted])
    return ConsumerSpec(
        durable=DURABLE,
        subjects=["accounts.>", "contracts.>", "actionplans.>", "market-intel.>"],
        handlers={**handlers, **item_handlers(settings.public_url)},
    )
