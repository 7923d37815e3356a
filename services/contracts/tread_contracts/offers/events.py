from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from tread_contracts.offers.models import Offer, OfferRevision
from tread_shared.events.payloads.contracts import (
    OfferAccepted,
    OfferApproved,
    OfferExpired,
    OfferLineTerms,
    OfferRejected,
    OfferSubmitted,
)
from tread_shared.money import Money


def _state(offer: Offer) -> dict[str, Any]:
    latest = offer.latest
    return {
        "offer_id": offer.id,
        "account_id": offer.account_id,
        "revision": latest.number,
        "status": offer.status,
        "valid_until": offer.valid_until,
        "list_total": Money.of(latest.list_total, offer.currency),
        "net_total": Money.of(latest.net_total, offer.currency),
        "max_discount_pct": latest.max_discount_pct,
        "offer_version": offer.version,
    }


def offer_submitted(offer: Offer, revision: OfferRevision) -> OfferSubmitted:
    lines = [
        OfferLineTerms(
            product_code=line.product_code,
            description=line.description,
            quantity=line.quantity,
            list_price=Money.of(line.list_price, offer.currency),
            discount_pct=line.discount_pct,
            net=Money.of(line.net_amount, offer.currency),
            catalogue_list_price=(
                Money.of(line.catalogue_list_price, offer.currency)
                if line.catalogue_list_price is not None
                else None
            ),
        )
        for line in revision.lines
    ]
    return OfferSubmitted(
        **_state(offer),
        lines=lines,
        requires_approval=revision.requires_approval,
        discount_limit_pct=revision.discount_limit_pct,
        submitted_by=revision.created_by,
        submitted_at=revision.created_at,
    )


def offer_approved(offer: Offer) -> OfferApproved:
    assert offer.approved_by is not None and offer.approved_at is not None
    return OfferApproved(
        **_state(offer), approved_by=offer.approved_by, approved_at=offer.approved_at
    )


def offer_accepted(offer: Offer) -> OfferAccepted:
    assert offer.decided_by is not None and offer.decided_at is not None
    return OfferAccepted(
        **_state(offer), accepted_at=offer.decided_at, recorded_by=offer.decided_by
    )


def offer_rejected(offer: Offer, stage: Literal["customer", "approval"]) -> OfferRejected:
    assert offer.decided_by is not None and offer.decided_at is not None
    return OfferRejected(
        **_state(offer),
        rejected_at=offer.decided_at,
        rejected_by=offer.decided_by,
        stage=stage,
        reason=offer.rejection_reason or "",
    )


def offer_expired(offer: Offer, expired_at: datetime, expired_by: str) -> OfferExpired:
    return OfferExpired(**_state(offer), expired_at=expired_at, expired_by=expired_by)
