"""Offers: each revision is priced here (net = quantity x list price x (1 - discount)); a
discount above the author's limit waits for a district manager."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.catalogue.service import PricedLine, price_lines
from tread_contracts.directory.models import AccountDirectory
from tread_contracts.directory.service import account_for_new_work, in_scope
from tread_contracts.emit import emit
from tread_contracts.jobs import each_in_own_transaction
from tread_contracts.lifecycle import require_status
from tread_contracts.offers import repository
from tread_contracts.offers.events import (
    offer_accepted,
    offer_approved,
    offer_expired,
    offer_rejected,
    offer_submitted,
)
from tread_contracts.offers.models import Offer, OfferLine, OfferRevision
from tread_contracts.offers.schemas import OfferIn, OfferTermsIn
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.types import plain_decimal as plain
from tread_shared.errors import Conflict, Forbidden, Unprocessable
from tread_shared.events.outbox import Outbox

CENT = Decimal("0.01")


def net_of(priced: PricedLine) -> Decimal:
    line = priced.line
    gross = priced.list_price.amount * line.quantity
    return (gross * (100 - line.discount_pct) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def discount_limit(principal: Principal, limits: Mapping[str, Decimal]) -> Decimal:
    """The highest discount the caller may give alone: the best of their roles' limits."""
    return max((limits[role] for role in principal.roles if role in limits), default=Decimal(0))


async def offer_in_scope(session: AsyncSession, principal: Principal, offer_id: uuid.UUID) -> Offer:
    return await in_scope(session, principal, Offer, offer_id, "offer")


def _revision(
    number: int,
    terms: OfferTermsIn,
    priced: list[PricedLine],
    principal: Principal,
    limit: Decimal,
) -> OfferRevision:
    lines = [
        OfferLine(
            position=position,
            product_code=p.line.product_code,
            description=p.line.description,
            quantity=p.line.quantity,
            list_price=p.list_price.amount,
            discount_pct=plain(p.line.discount_pct),
            net_amount=net_of(p),
            catalogue_list_price=p.catalogue_price if p.overridden else None,
        )
        for position, p in enumerate(priced, start=1)
    ]
    max_discount = plain(max(line.discount_pct for line in terms.lines))
    return OfferRevision(
        number=number,
        valid_until=terms.valid_until,
        notes=terms.notes,
        # Another list price than the catalogue's is a discount in disguise: approved as one.
        requires_approval=max_discount > limit or any(p.overridden for p in priced),
        discount_limit_pct=plain(limit),
        list_total=sum((p.list_price.amount * p.line.quantity for p in priced), Decimal(0)),
        net_total=sum((line.net_amount for line in lines), Decimal(0)),
        max_discount_pct=max_discount,
        created_by=principal.sub,
        created_at=utcnow(),
        lines=lines,
    )


def _check_validity(terms: OfferTermsIn) -> None:
    if terms.valid_until < utcnow().date():
        raise Unprocessable(
            f"valid_until {terms.valid_until} is in the past.", slug="offer-validity-past"
        )


async def create_offer(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limits: Mapping[str, Decimal],
    data: OfferIn,
    check_catalogue: bool = False,
) -> Offer:
    account = await account_for_new_work(session, principal, data.account_id)
    _check_validity(data)
    priced = await price_lines(
        session, check_catalogue, data.lines, account.territory, utcnow().date()
    )
    revision = _revision(1, data, priced, principal, discount_limit(principal, limits))
    offer = Offer(
        account_id=data.account_id,
        status="pending_approval" if revision.requires_approval else "submitted",
        currency=priced[0].list_price.currency,
        current_revision=1,
        valid_until=data.valid_until,
        created_by=principal.sub,
        revisions=[revision],
    )
    session.add(offer)
    await emit(session, outbox, offer, lambda: offer_submitted(offer, revision))
    return offer


async def revise_offer(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    limits: Mapping[str, Decimal],
    offer: Offer,
    terms: OfferTermsIn,
    check_catalogue: bool = False,
) -> Offer:
    """A new round of negotiation: the new lines replace the old ones, which stay in history."""
    require_status("Offer", offer.id, offer.status, repository.OPEN_STATUSES, "revised")
    _check_validity(terms)
    account = await session.get(AccountDirectory, offer.account_id)
    territory = account.territory if account is not None else ""
    priced = await price_lines(session, check_catalogue, terms.lines, territory, utcnow().date())
    if any(p.list_price.currency != offer.currency for p in priced):
        raise Unprocessable(f"This offer is priced in {offer.currency}.", slug="currency-mismatch")
    revision = _revision(
        offer.current_revision + 1, terms, priced, principal, discount_limit(principal, limits)
    )
    offer.revisions.append(revision)
    offer.current_revision = revision.number
    offer.valid_until = terms.valid_until
    offer.status = "pending_approval" if revision.requires_approval else "submitted"
    offer.approved_by = offer.approved_at = None
    await emit(session, outbox, offer, lambda: offer_submitted(offer, revision))
    return offer


async def approve_offer(
    session: AsyncSession, outbox: Outbox, principal: Principal, offer: Offer
) -> Offer:
    require_status("Offer", offer.id, offer.status, ("pending_approval",), "approved")
    if offer.latest.created_by == principal.sub and not principal.is_admin:
        raise Forbidden("A discount is approved by someone other than its author.")
    offer.status = "submitted"
    offer.approved_by = principal.sub
    offer.approved_at = utcnow()
    await emit(session, outbox, offer, lambda: offer_approved(offer))
    return offer


async def reject_offer(
    session: AsyncSession, outbox: Outbox, principal: Principal, offer: Offer, reason: str
) -> Offer:
    """The customer's refusal of a submitted offer, or a district manager's of its discount."""
    require_status("Offer", offer.id, offer.status, repository.OPEN_STATUSES, "rejected")
    stage: Literal["customer", "approval"] = (
        "approval" if offer.status == "pending_approval" else "customer"
    )
    if stage == "approval" and not principal.has_role(Role.DISTRICT_MANAGER, Role.ADMIN):
        raise Forbidden("Only a district manager decides on a discount awaiting approval.")
    offer.status = "rejected"
    offer.rejection_stage = stage
    offer.rejection_reason = reason
    offer.decided_by = principal.sub
    offer.decided_at = utcnow()
    await emit(session, outbox, offer, lambda: offer_rejected(offer, stage))
    return offer


async def accept_offer(
    session: AsyncSession, outbox: Outbox, principal: Principal, offer: Offer
) -> Offer:
    if offer.status == "pending_approval":
        raise Conflict(
            f"Offer {offer.id} awaits a district manager's approval of its discount.",
            slug="illegal-transition",
            status_now=offer.status,
        )
    require_status("Offer", offer.id, offer.status, ("submitted",), "accepted")
    now = utcnow()
    if offer.valid_until < now.date():
        raise Conflict(
            f"Offer {offer.id} was valid until {offer.valid_until}.", slug="offer-lapsed"
        )
    offer.status = "accepted"
    offer.decided_by = principal.sub
    offer.decided_at = now
    await emit(session, outbox, offer, lambda: offer_accepted(offer))
    return offer


async def expire_offer(
    session: AsyncSession, outbox: Outbox, offer: Offer, expired_by: str
) -> Offer:
    require_status("Offer", offer.id, offer.status, repository.OPEN_STATUSES, "expired")
    now = utcnow()
    offer.status = "expired"
    offer.decided_by = expired_by
    offer.decided_at = now
    await emit(session, outbox, offer, lambda: offer_expired(offer, now, expired_by))
    return offer


async def expire_lapsed_offers(db: Database, outbox: Outbox, today: date) -> int:
    """Expire every open offer whose validity ended before ``today``; returns how many."""
    async with db.unit_of_work() as session:
        candidates = await repository.lapsed_ids(session, today)

    async def expire(session: AsyncSession, offer_id: uuid.UUID) -> bool:
        offer = await repository.get(session, offer_id)
        if offer is None or offer.status not in repository.OPEN_STATUSES:
            return False
        if offer.valid_until >= today:
            return False
        await expire_offer(session, outbox, offer, "schedule")
        return True

    return await each_in_own_transaction(db, candidates, expire)
