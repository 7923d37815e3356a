from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from tread_contracts.directory.access import DistrictManager, PortfolioWorker, Staff
from tread_contracts.listing import UpdatedSince
from tread_contracts.offers import repository, service
from tread_contracts.offers.models import Offer, OfferRevision
from tread_contracts.offers.schemas import (
    DecisionIn,
    OfferIn,
    OfferLineOut,
    OfferOut,
    OfferPage,
    OfferRevisionOut,
    OfferStatus,
    OfferTermsIn,
)
from tread_contracts.settings import ContractsSettings
from tread_shared.app import EventOutbox
from tread_shared.db.listing import list_page
from tread_shared.db.session import DbSession
from tread_shared.http.etag import set_etag
from tread_shared.http.pagination import PageParams, page_params
from tread_shared.money import Money

router = APIRouter(prefix="/v1/offers", tags=["offers"])


def _revision_out(offer: Offer, revision: OfferRevision) -> OfferRevisionOut:
    currency = offer.currency
    return OfferRevisionOut(
        revision=revision.number,
        lines=[
            OfferLineOut(
                product_code=line.product_code,
                description=line.description,
                quantity=line.quantity,
                list_price=Money.of(line.list_price, currency),
                discount_pct=line.discount_pct,
                net=Money.of(line.net_amount, currency),
                catalogue_list_price=Money.of(line.catalogue_list_price, currency)
                if line.catalogue_list_price is not None
                else None,
            )
            for line in revision.lines
        ],
        valid_until=revision.valid_until,
        notes=revision.notes,
        list_total=Money.of(revision.list_total, currency),
        net_total=Money.of(revision.net_total, currency),
        max_discount_pct=revision.max_discount_pct,
        requires_approval=revision.requires_approval,
        discount_limit_pct=revision.discount_limit_pct,
        revised_by=revision.created_by,
        revised_at=revision.created_at,
    )


def offer_out(offer: Offer) -> OfferOut:
    return OfferOut(
        **_revision_out(offer, offer.latest).model_dump(),
        id=offer.id,
        account_id=offer.account_id,
        status=offer.status,
        currency=offer.currency,
        approved_by=offer.approved_by,
        approved_at=offer.approved_at,
        decided_by=offer.decided_by,
        decided_at=offer.decided_at,
        rejection_stage=offer.rejection_stage,
        rejection_reason=offer.rejection_reason,
        created_by=offer.created_by,
        created_at=offer.created_at,
        updated_at=offer.updated_at,
    )


def _answer(offer: Offer, response: Response) -> OfferOut:
    set_etag(response, offer.id, offer.version)
    return offer_out(offer)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OfferOut)
async def create_offer(
    data: OfferIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    settings: ContractsSettings,
    response: Response,
) -> OfferOut:
    """Offer priced lines to an account. A discount above the caller's limit, or a list price
    other than the catalogue's, puts the offer in ``pending_approval`` until a district
    manager approves or rejects it. With the catalogue checked, each code must be an active
    product and a line without a list price takes the one in force."""
    offer = await service.create_offer(
        session, outbox, caller, settings.discount_limit_pct, data, settings.catalogue_check
    )
    response.headers["Location"] = f"/v1/offers/{offer.id}"
    return _answer(offer, response)


@router.get("", response_model=OfferPage)
async def list_offers(
    session: DbSession,
    caller: Staff,
    page: Annotated[PageParams, Depends(page_params)],
    updated_since: UpdatedSince,
    account_id: uuid.UUID | None = None,
    status: OfferStatus | None = None,
) -> OfferPage:
    """Offers of the accounts in the caller's scope, oldest first; with ``updated_since``, the
    changes since then in the order they happened."""
    query = repository.visible(caller, account_id=account_id, status=status)
    listed = await list_page(session, query, Offer, page, updated_since=updated_since)
    return OfferPage(items=[offer_out(o) for o in listed.rows], next_cursor=listed.next_cursor)


@router.get("/{offer_id}", response_model=OfferOut)
async def get_offer(
    offer_id: uuid.UUID, session: DbSession, caller: Staff, response: Response
) -> OfferOut:
    return _answer(await service.offer_in_scope(session, caller, offer_id), response)


@router.get("/{offer_id}/revisions", response_model=list[OfferRevisionOut])
async def list_offer_revisions(
    offer_id: uuid.UUID, session: DbSession, caller: Staff
) -> list[OfferRevisionOut]:
    """The negotiation's history: every revision, first to latest."""
    offer = await service.offer_in_scope(session, caller, offer_id)
    return [_revision_out(offer, revision) for revision in offer.revisions]


@router.post("/{offer_id}/revisions", response_model=OfferOut)
async def revise_offer(
    offer_id: uuid.UUID,
    terms: OfferTermsIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    settings: ContractsSettings,
    response: Response,
) -> OfferOut:
    """A new round of negotiation (the offer must be open)."""
    offer = await service.offer_in_scope(session, caller, offer_id)
    offer = await service.revise_offer(
        session, outbox, caller, settings.discount_limit_pct, offer, terms, settings.catalogue_check
    )
    return _answer(offer, response)


@router.post("/{offer_id}/approve", response_model=OfferOut)
async def approve_offer(
    offer_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: DistrictManager,
    response: Response,
) -> OfferOut:
    """A district manager approves the discount of an offer awaiting approval."""
    offer = await service.offer_in_scope(session, caller, offer_id)
    return _answer(await service.approve_offer(session, outbox, caller, offer), response)


@router.post("/{offer_id}/reject", response_model=OfferOut)
async def reject_offer(
    offer_id: uuid.UUID,
    decision: DecisionIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> OfferOut:
    """Record the customer's refusal, or (district manager) refuse a discount awaiting
    approval."""
    offer = await service.offer_in_scope(session, caller, offer_id)
    offer = await service.reject_offer(session, outbox, caller, offer, decision.reason)
    return _answer(offer, response)


@router.post("/{offer_id}/accept", response_model=OfferOut)
async def accept_offer(
    offer_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> OfferOut:
    """Record the customer's acceptance; the offer can then seed a contract."""
    offer = await service.offer_in_scope(session, caller, offer_id)
    return _answer(await service.accept_offer(session, outbox, caller, offer), response)


@router.post("/{offer_id}/expire", response_model=OfferOut)
async def expire_offer(
    offer_id: uuid.UUID,
    session: DbSession,
    outbox: EventOutbox,
    caller: PortfolioWorker,
    response: Response,
) -> OfferOut:
    """Declare an open offer lapsed (the schedule also expires offers past their validity)."""
    offer = await service.offer_in_scope(session, caller, offer_id)
    return _answer(await service.expire_offer(session, outbox, offer, caller.sub), response)
