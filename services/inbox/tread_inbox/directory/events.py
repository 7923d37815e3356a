"""The one consumer of the other services' events: the account directory (items follow their
account's owner, key account manager and territory) and every event that makes or closes an
item. One consumer, so that an account's creation and the events about it apply in order."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.events import item_handlers
from tread_inbox.items.service import AccountAudience, follow_account, remove_items_of_account
from tread_inbox.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.directory.handlers import DIRECTORY_EVENTS, directory_handlers
from tread_shared.events.consumer import ConsumerSpec, Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.accounts import AccountDeleted, AccountEvent

DURABLE = "inbox-events"


def _deleting(apply: Handler) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        payload = AccountDeleted.model_validate(event.data)
        # The directory first, then the items (and the change counter): the order of every
        # directory event, so that two of one account on two replicas never deadlock.
        await apply(session, event, stream_seq)
        await session.flush()
        await remove_items_of_account(session, payload.account.account_id)

    return handle


def _audience(entry: AccountDirectory | None) -> AccountAudience | None:
    if entry is None or entry.deleted:
        return None
    return AccountAudience(entry.owner_id, entry.territory, entry.key_account_manager_id)


def _following(payload_type: type[AccountEvent], apply: Handler) -> Handler:
    """The directory change, then the account's items follow it when it changed who they
    reach (an older event, ignored by the directory, changes nothing)."""

    async def handle(session: AsyncSession, event: CloudEvent, stream_seq: int) -> None:
        account_id = payload_type.model_validate(event.data).account.account_id
        before = _audience(await session.get(AccountDirectory, account_id))
        await apply(session, event, stream_seq)
        await session.flush()
        after = _audience(await session.get(AccountDirectory, account_id))
        if after is not None and after != before:
            await follow_account(session, account_id, before)

    return handle


def events_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    handlers = directory_handlers(AccountDirectory)
    for payload_type in DIRECTORY_EVENTS:
        name = payload_type.event_type()
        if payload_type is AccountDeleted:
            handlers[name] = _deleting(handlers[name])
        else:
            handlers[name] = _following(payload_type, handlers[name])
    return ConsumerSpec(
        durable=DURABLE,
        subjects=["accounts.>", "contracts.>", "actionplans.>", "market-intel.>"],
        handlers={**handlers, **item_handlers(settings.public_url)},
    )
