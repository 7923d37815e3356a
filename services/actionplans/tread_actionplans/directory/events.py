"""The consumer of the accounts service's events: the directory (plans follow their account's
territory and manager), activities and sell-in for indicators."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.plans import repository as plans
from tread_shared.directory.handlers import DIRECTORY_EVENTS, upsert_entry
from tread_shared.events.consumer import Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads.accounts import AccountDeleted, AccountEvent


async def _plans_follow(session: AsyncSession, payload: AccountEvent) -> None:
    """Open plans take the account's territory; those owned by its previous manager (or by no
    one yet: drafted from an event before the account arrived) go to its new manager."""
    entry = payload.account
    previous = await session.get(AccountDirectory, entry.account_id)
    if previous is not None and previous.version > entry.version:
        return
    previous_owner = previous.owner_id if previous is not None else None
    for plan in await plans.open_of_account(session, entry.account_id):
        plan.territory = entry.territory
        if plan.owner_id is None or plan.owner_id == previous_owner:
            plan.owner_id = entry.owner_id


def account_handlers() -> dict[str, Handler]:
    def handler_for(payload_type: type[AccountEvent]) -> Handler:
        async def apply(session: AsyncSession, event: CloudEvent, _stream_seq: int) -> None:
            payload = payload_type.model_validate(event.data)
            await _plans_follow(session, payload)
            await upsert_entry(
                session, AccountDirectory, payload, deleted=payload_type is AccountDeleted
            )

        return apply

    return {payload.event_type(): handler_for(payload) for payload in DIRECTORY_EVENTS}
