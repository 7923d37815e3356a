"""Facilitation requests, checked against their guideline: eligibility by tier (of an active
contract) and segment, and the cap per account and year, counting what is granted and what
awaits approval. Up to the approval threshold a request is granted at once; above it, a key
account manager decides."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.contracts import repository as contracts
from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.terms import tier_terms
from tread_contracts.directory.models import AccountDirectory
from tread_contracts.directory.service import account_for_new_work, in_scope, require_visible
from tread_contracts.emit import emit
from tread_contracts.facilitations import repository
from tread_contracts.facilitations.events import facilitation_state, guideline_published
from tread_contracts.facilitations.models import (
    Facilitation,
    FacilitationBudget,
    FacilitationGuideline,
    FacilitationSpending,
)
from tread_contracts.facilitations.schemas import (
    FacilitationIn,
    GuidelineChangeIn,
    GuidelineIn,
    SpendingIn,
)
from tread_contracts.lifecycle import require_status
from tread_contracts.programs.service import referenced_program
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.contracts import (
    FacilitationGranted,
    FacilitationRejected,
    FacilitationRequested,
    FacilitationSpent,
)
from tread_shared.money import Money

# -- guidelines -------------------------------------------------------------------------------


async def guideline_or_404(session: AsyncSession, guideline_id: uuid.UUID) -> FacilitationGuideline:
    guideline = await repository.guideline(session, guideline_id)
    if guideline is None:
        raise NotFound(f"No facilitation guideline {guideline_id}.")
    return guideline


async def create_guideline(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: GuidelineIn
) -> FacilitationGuideline:
    guideline = FacilitationGuideline(
        type=data.type,
        name=data.name or data.type.replace("_", " "),
        description=data.description,
        eligible_tiers=data.eligible_tiers,
        eligible_segments=data.eligible_segments,
        program_id=data.program_id,
        currency=data.cap_per_account_per_year.currency,
        cap_amount=data.cap_per_account_per_year.amount,
        approval_threshold_amount=data.approval_threshold.amount,
        active=data.active,
        created_by=principal.sub,
    )
    if data.program_id is not None:
        await referenced_program(session, data.program_id)
    session.add(guideline)
    await emit(session, outbox, guideline, lambda: guideline_published(guideline, principal.sub))
    return guideline


async def change_guideline(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    guideline: FacilitationGuideline,
    data: GuidelineChangeIn,
) -> FacilitationGuideline:
    for money in (data.cap_per_account_per_year, data.approval_threshold):
        if money is not None and money.currency != guideline.currency:
            raise Unprocessable(
                f"This guideline is in {guideline.currency}.", slug="currency-mismatch"
            )
    for field in ("name", "description", "eligible_tiers", "eligible_segments", "active"):
        if field in data.model_fields_set and getattr(data, field) is not None:
            setattr(guideline, field, getattr(data, field))
    if data.cap_per_account_per_year is not None:
        guideline.cap_amount = data.cap_per_account_per_year.amount
    if data.approval_threshold is not None:
        guideline.approval_threshold_amount = data.approval_threshold.amount
    await emit(session, outbox, guideline, lambda: guideline_published(guideline, principal.sub))
    return guideline


# -- requests ---------------------------------------------------------------------------------


async def facilitation_in_scope(
    session: AsyncSession, principal: Principal, facilitation_id: uuid.UUID
) -> Facilitation:
    return await in_scope(session, principal, Facilitation, facilitation_id, "facilitation")


async def _eligible_contract(
    session: AsyncSession, account: AccountDirectory, guideline: FacilitationGuideline
) -> Contract | None:
    """The active contract the request rests on; 422 when the account is not eligible."""
    if guideline.eligible_segments and account.segment not in guideline.eligible_segments:
        raise Unprocessable(
            f"The account's segment ({account.segment or 'none'}) is not among the guideline's "
            f"({', '.join(guideline.eligible_segments)}).",
            slug="not-eligible",
        )
    active = await contracts.active_for(session, account.account_id, guideline.program_id)
    if not guideline.eligible_tiers:
        return active[0] if active else None
    for contract in active:
        if contract.tier in guideline.eligible_tiers:
            return contract
    held = ", ".join(sorted({c.tier for c in active})) or "no active contract"
    raise Unprocessable(
        f"The guideline is for tiers {', '.join(guideline.eligible_tiers)}; "
        f"the account has {held}.",
        slug="not-eligible",
    )


async def _budget(
    session: AsyncSession, account_id: uuid.UUID, guideline: FacilitationGuideline, year: int
) -> FacilitationBudget:
    budget = await repository.budget_for_update(session, account_id, guideline.id, year)
    if budget is not None:
        return budget
    budget = FacilitationBudget(
        account_id=account_id,
        guideline_id=guideline.id,
        year=year,
        currency=guideline.currency,
        requested=Decimal(0),
        granted=Decimal(0),
        spent=Decimal(0),
    )
    session.add(budget)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            "Another request for this account and guideline is being recorded; retry.",
            slug="concurrent-request",
            headers={"Retry-After": "1"},
        ) from None
    return budget


async def _budget_of(session: AsyncSession, facilitation: Facilitation) -> FacilitationBudget:
    return await _budget(
        session, facilitation.account_id, facilitation.guideline, facilitation.year
    )


async def _check_tier_budget(
    session: AsyncSession, contract: Contract, amount: Money, year: int
) -> None:
    """The tier's facilitation budget bounds what an account is granted (or awaits) in a year,
    across every guideline; 422 naming what remains. A budget in another currency than the
    request's is not compared (money is never converted)."""
    budget = tier_terms(contract).facilitation_budget
    if budget.currency != amount.currency:
        return
    held = await repository.committed_under_program(session, contract, year, budget.currency)
    remaining = budget.amount - held
    if amount.amount > remaining:
        left = Money.of(remaining if remaining > 0 else Decimal(0), budget.currency)
        raise Unprocessable(
            f"Only {left} remain of the {contract.tier} tier's facilitation budget of {budget} "
            f"for {year}, across guidelines.",
            slug="tier-budget-exceeded",
            remaining=left.model_dump(mode="json"),
        )


async def request_facilitation(
    session: AsyncSession, outbox: Outbox, principal: Principal, data: FacilitationIn
) -> Facilitation:
    account = await account_for_new_work(session, principal, data.account_id)
    guideline = await repository.guideline(session, data.guideline_id)
    if guideline is None:
        raise Unprocessable(
            f"No facilitation guideline {data.guideline_id}.", slug="unknown-guideline"
        )
    if not guideline.active:
        raise Unprocessable(f"Guideline {guideline.id} is retired.", slug="guideline-retired")
    if data.amount.currency != guideline.currency:
        raise Unprocessable(f"This guideline is in {guideline.currency}.", slug="currency-mismatch")
    contract = await _eligible_contract(session, account, guideline)
    now = utcnow()
    budget = await _budget(session, account.account_id, guideline, now.year)
    remaining = guideline.cap_amount - budget.requested - budget.granted
    if data.amount.amount > remaining:
        left = Money.of(remaining if remaining > 0 else Decimal(0), guideline.currency)
        raise Unprocessable(
            f"Only {left} remain of the {Money.of(guideline.cap_amount, guideline.currency)} "
            f"cap for {now.year}.",
            slug="facilitation-cap-exceeded",
            remaining=left.model_dump(mode="json"),
        )
    if contract is not None:
        await _check_tier_budget(session, contract, data.amount, now.year)
    requires_approval = data.amount.amount > guideline.approval_threshold_amount
    facilitation = Facilitation(
        account_id=account.account_id,
        guideline=guideline,
        contract_id=contract.id if contract else None,
        tier=contract.tier if contract else None,
        year=now.year,
        currency=guideline.currency,
        amount=data.amount.amount,
        spent_amount=Decimal(0),
        justification=data.justification,
        status="pending_approval" if requires_approval else "granted",
        requires_approval=requires_approval,
        requested_by=principal.sub,
        spendings=[],
    )
    if requires_approval:
        budget.requested += data.amount.amount
    else:
        budget.granted += data.amount.amount
        facilitation.decided_by, facilitation.decided_at = principal.sub, now
    session.add(facilitation)
    await emit(
        session,
        outbox,
        facilitation,
        lambda: FacilitationRequested(
            **facilitation_state(facilitation, budget),
            justification=data.justification,
            requires_approval=requires_approval,
            requested_by=principal.sub,
            requested_at=now,
        ),
    )
    if not requires_approval:
        await _announce_grant(session, outbox, facilitation, budget, automatic=True)
    return facilitation


async def _announce_grant(
    session: AsyncSession,
    outbox: Outbox,
    facilitation: Facilitation,
    budget: FacilitationBudget,
    *,
    automatic: bool,
) -> None:
    assert facilitation.decided_by is not None and facilitation.decided_at is not None
    granted_by, granted_at = facilitation.decided_by, facilitation.decided_at
    await emit(
        session,
        outbox,
        facilitation,
        lambda: FacilitationGranted(
            **facilitation_state(facilitation, budget),
            granted_by=granted_by,
            granted_at=granted_at,
            automatic=automatic,
        ),
    )


def _decide(principal: Principal, facilitation: Facilitation, step: str) -> None:
    require_status(
        "Facilitation", facilitation.id, facilitation.status, ("pending_approval",), step
    )
    if facilitation.requested_by == principal.sub and not principal.is_admin:
        raise Forbidden("A facilitation is decided by someone other than who asked for it.")


async def approve_facilitation(
    session: AsyncSession, outbox: Outbox, principal: Principal, facilitation: Facilitation
) -> Facilitation:
    _decide(principal, facilitation, "approved")
    budget = await _budget_of(session, facilitation)
    budget.requested -= facilitation.amount
    budget.granted += facilitation.amount
    facilitation.status = "granted"
    facilitation.decided_by, facilitation.decided_at = principal.sub, utcnow()
    await _announce_grant(session, outbox, facilitation, budget, automatic=False)
    return facilitation


async def reject_facilitation(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    facilitation: Facilitation,
    reason: str,
) -> Facilitation:
    _decide(principal, facilitation, "rejected")
    budget = await _budget_of(session, facilitation)
    budget.requested -= facilitation.amount
    now = utcnow()
    facilitation.status = "rejected"
    facilitation.decided_by, facilitation.decided_at = principal.sub, now
    facilitation.decision_reason = reason
    await emit(
        session,
        outbox,
        facilitation,
        lambda: FacilitationRejected(
            **facilitation_state(facilitation, budget),
            rejected_by=principal.sub,
            rejected_at=now,
            reason=reason,
        ),
    )
    return facilitation


async def record_spending(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    facilitation: Facilitation,
    data: SpendingIn,
) -> Facilitation:
    """Money of a granted facilitation spent; never more than was granted."""
    require_status("Facilitation", facilitation.id, facilitation.status, ("granted",), "spent")
    if data.amount.currency != facilitation.currency:
        raise Unprocessable(
            f"This facilitation is in {facilitation.currency}.", slug="currency-mismatch"
        )
    today = utcnow().date()
    spent_on = data.spent_on or today
    if spent_on > today:
        raise Unprocessable("spent_on is in the future.", slug="invalid-date")
    budget = await _budget_of(session, facilitation)
    unspent = facilitation.amount - facilitation.spent_amount
    if data.amount.amount > unspent:
        left = Money.of(unspent, facilitation.currency)
        raise Unprocessable(
            f"Only {left} of this facilitation remain to spend.",
            slug="facilitation-overspent",
            remaining=left.model_dump(mode="json"),
        )
    facilitation.spendings.append(
        FacilitationSpending(
            amount=data.amount.amount,
            description=data.description,
            spent_on=spent_on,
            recorded_by=principal.sub,
            recorded_at=utcnow(),
        )
    )
    facilitation.spent_amount += data.amount.amount
    budget.spent += data.amount.amount
    await emit(
        session,
        outbox,
        facilitation,
        lambda: FacilitationSpent(
            **facilitation_state(facilitation, budget),
            spent=data.amount,
            spent_total=Money.of(facilitation.spent_amount, facilitation.currency),
            spent_on=spent_on,
            description=data.description,
            recorded_by=principal.sub,
        ),
    )
    return facilitation


async def balances(
    session: AsyncSession, principal: Principal, account_id: uuid.UUID, year: int
) -> list[tuple[FacilitationGuideline, FacilitationBudget]]:
    await require_visible(session, principal, account_id, f"No account {account_id}.")
    rows = []
    for budget in await repository.budgets(session, account_id, year):
        guideline = await repository.guideline(session, budget.guideline_id)
        assert guideline is not None
        rows.append((guideline, budget))
    return rows
