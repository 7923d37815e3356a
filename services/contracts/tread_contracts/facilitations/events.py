from __future__ import annotations

from decimal import Decimal
from typing import Any

from tread_contracts.facilitations.models import (
    Facilitation,
    FacilitationBudget,
    FacilitationGuideline,
)
from tread_shared.events.payloads.contracts import (
    FacilitationBalance,
    FacilitationGuidelinePublished,
)
from tread_shared.money import Money


def guideline_published(
    guideline: FacilitationGuideline, by: str
) -> FacilitationGuidelinePublished:
    return FacilitationGuidelinePublished(
        guideline_id=guideline.id,
        guideline_version=guideline.version,
        type=guideline.type,
        name=guideline.name,
        eligible_tiers=guideline.eligible_tiers,
        eligible_segments=guideline.eligible_segments,
        program_id=guideline.program_id,
        cap_per_account_per_year=Money.of(guideline.cap_amount, guideline.currency),
        approval_threshold=Money.of(guideline.approval_threshold_amount, guideline.currency),
        active=guideline.active,
        published_by=by,
    )


def balance(guideline: FacilitationGuideline, budget: FacilitationBudget) -> FacilitationBalance:
    currency = guideline.currency
    remaining = guideline.cap_amount - budget.requested - budget.granted
    return FacilitationBalance(
        cap=Money.of(guideline.cap_amount, currency),
        requested=Money.of(budget.requested, currency),
        granted=Money.of(budget.granted, currency),
        spent=Money.of(budget.spent, currency),
        remaining=Money.of(remaining if remaining > 0 else Decimal(0), currency),
    )


def facilitation_state(facilitation: Facilitation, budget: FacilitationBudget) -> dict[str, Any]:
    """What every facilitation event carries: the request and the account's balance after it."""
    return {
        "facilitation_id": facilitation.id,
        "facilitation_version": facilitation.version,
        "account_id": facilitation.account_id,
        "guideline_id": facilitation.guideline_id,
        "guideline_type": facilitation.guideline.type,
        "contract_id": facilitation.contract_id,
        "tier": facilitation.tier,
        "year": facilitation.year,
        "amount": Money.of(facilitation.amount, facilitation.currency),
        "status": facilitation.status,
        "balance": balance(facilitation.guideline, budget),
    }
