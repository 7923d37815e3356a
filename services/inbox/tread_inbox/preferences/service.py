from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.items.kinds import KINDS
from tread_inbox.preferences import repository
from tread_inbox.preferences.models import MailSubscriber
from tread_inbox.preferences.schemas import PreferencesIn, PreferencesOut
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow


def delivery_of(subscriber: MailSubscriber, kind: str) -> str:
    return subscriber.deliveries.get(kind, subscriber.default_delivery)


def principal_of(subscriber: MailSubscriber) -> Principal:
    return Principal(
        sub=subscriber.user_id,
        name=subscriber.name,
        roles=frozenset(subscriber.roles),
        territories=frozenset(subscriber.territories),
    )


def render(subscriber: MailSubscriber) -> PreferencesOut:
    return PreferencesOut(
        email=subscriber.email,
        default=subscriber.default_delivery,
        kinds={kind: delivery_of(subscriber, kind) for kind in KINDS},
        updated_at=subscriber.updated_at,
    )


async def get_preferences(session: AsyncSession, principal: Principal) -> PreferencesOut:
    subscriber = await repository.subscriber(session, principal.sub)
    if subscriber is None:
        # Nobody is mailed without an address of their own: until one is PUT, every kind is off.
        return PreferencesOut(
            email=None, default="off", kinds=dict.fromkeys(KINDS, "off"), updated_at=None
        )
    return render(subscriber)


async def set_preferences(
    session: AsyncSession, principal: Principal, body: PreferencesIn
) -> PreferencesOut:
    """Keep the caller's preferences, and who they are now (roles, territories): that is what
    decides which items their mails carry until they set preferences again."""
    subscriber = await repository.subscriber(session, principal.sub)
    if subscriber is None:
        subscriber = MailSubscriber(user_id=principal.sub)
        session.add(subscriber)
    subscriber.email = body.email
    subscriber.name = principal.name or principal.sub
    subscriber.roles = sorted(principal.roles)
    subscriber.territories = sorted(principal.territories)
    subscriber.default_delivery = body.default
    subscriber.deliveries = {kind: str(delivery) for kind, delivery in body.kinds.items()}
    subscriber.updated_at = utcnow()
    await session.flush()
    return render(subscriber)
