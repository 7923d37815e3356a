"""Putting a partnership together from the read models."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.amounts import by_currency
from tread_reporting.business.models import CreditRecord, SellInRecord
from tread_reporting.directory.repository import visible_account
from tread_reporting.freshness.service import ReadView
from tread_reporting.partnerships import repository
from tread_reporting.partnerships.models import AuditRecord, ContractRecord
from tread_reporting.partnerships.rebates import rebate_out
from tread_reporting.partnerships.repository import IN_FORCE, PartnershipFilters
from tread_reporting.partnerships.schemas import (
    AccountOut,
    AuditOut,
    AuditPoint,
    CommitmentProgress,
    ComplianceOut,
    ContractOut,
    CreditOut,
    FacilitationItem,
    FacilitationYear,
    GapOut,
    PartnershipListItem,
    PartnershipOut,
    PartnershipPage,
    SignatureOut,
    Trend,
)
from tread_reporting.periods import Period
from tread_shared.auth.principal import Principal
from tread_shared.db.reading import Reader
from tread_shared.http.pagination import PageParams
from tread_shared.money import Money, SignedMoney

AUDIT_HISTORY = 8


def contract_out(contract: ContractRecord) -> ContractOut:
    return ContractOut(
        contract_id=contract.contract_id,
        program_id=contract.program_id,
        program_name=contract.program_name,
        program_version=contract.program_version,
        tier=contract.tier,
        status=contract.status,
        start_date=contract.start_date,
        end_date=contract.end_date,
        signatures=[SignatureOut.model_validate(s) for s in contract.signatures],
        renews_contract_id=contract.renews_contract_id,
        rebate_pct=contract.rebate_pct,
        facilitation_budget=Money.of(contract.facilitation_budget, contract.facilitation_currency),
    )


def audit_out(audit: AuditRecord) -> AuditOut:
    return AuditOut(
        audit_id=audit.audit_id,
        contract_id=audit.contract_id,
        performed_at=audit.performed_at,
        auditor=audit.auditor,
        overall_score=audit.overall_score,
        gaps=[GapOut.model_validate(g) for g in audit.gaps],
    )


def trend_of(audits: Sequence[AuditRecord]) -> Trend | None:
    """Latest overall score against the one before (``audits`` latest first)."""
    if len(audits) < 2:
        return None
    latest, previous = audits[0].overall_score, audits[1].overall_score
    return "up" if latest > previous else "down" if latest < previous else "flat"


def renewal_due(contract: ContractRecord | None) -> date | None:
    return contract.end_date if contract is not None and contract.status in IN_FORCE else None


def units_in(sell_in: Sequence[SellInRecord], period: Period, product_line: str | None) -> int:
    months = period.month_set
    return sum(
        row.units
        for row in sell_in
        if row.month in months and (product_line is None or row.product_line == product_line)
    )


def commitment_progress(
    commitment: dict[str, Any],
    sell_in: Sequence[SellInRecord],
    latest_audit: AuditRecord | None,
) -> CommitmentProgress:
    progress = CommitmentProgress.model_validate(
        {k: commitment.get(k) for k in CommitmentProgress.model_fields if k in commitment}
    )
    if commitment.get("kind") == "volume" and commitment.get("quantity"):
        period = Period.parse(str(commitment.get("period") or ""))
        if period is not None:
            quantity = int(commitment["quantity"])
            actual = units_in(sell_in, period, commitment.get("product_line"))
            progress.actual_units = actual
            progress.share = (Decimal(actual) / quantity).quantize(Decimal("0.01"))
            progress.met = actual >= quantity
    elif commitment.get("kind") == "audit_score" and latest_audit is not None:
        scores = {s["criterion"]: s["score"] for s in latest_audit.scores}
        score = scores.get(str(commitment.get("criterion")))
        progress.latest_score = score
        if score is not None and commitment.get("min_score") is not None:
            progress.met = score >= int(commitment["min_score"])
    return progress


async def facilitation_year(
    session: AsyncSession, generation: int, account_id: uuid.UUID, year: int
) -> FacilitationYear:
    records = await repository.facilitations_of(session, generation, account_id, year)
    spendings = await repository.spendings_of(
        session, generation, [r.facilitation_id for r in records]
    )
    spent: dict[uuid.UUID, Decimal] = {}
    for spending in spendings:
        spent[spending.entity_id] = spent.get(spending.entity_id, Decimal(0)) + (
            spending.amount or Decimal(0)
        )
    granted = [r for r in records if r.status == "granted"]
    return FacilitationYear(
        year=year,
        granted=by_currency((r.amount, r.currency) for r in granted),
        spent=by_currency((spent.get(r.facilitation_id), r.currency) for r in granted),
        pending=sum(r.status == "pending_approval" for r in records),
        rejected=sum(r.status == "rejected" for r in records),
        items=[
            FacilitationItem(
                facilitation_id=r.facilitation_id,
                type=r.type,
                status=r.status,
                amount=Money.of(r.amount, r.currency),
                spent=Money.of(spent.get(r.facilitation_id, Decimal(0)), r.currency),
            )
            for r in records
        ],
    )


async def partnership(
    session: AsyncSession,
    principal: Principal,
    view: ReadView,
    account_id: uuid.UUID,
    today: date,
) -> PartnershipOut:
    generation = view.generation
    account = await visible_account(session, principal, generation, account_id)
    contracts = await repository.contracts_of(session, generation, account_id)
    current = contracts[0] if contracts else None
    audits = await repository.audits_of(session, generation, [account_id])
    latest = audits[0] if audits else None
    sell_in = await repository.sell_in_of(session, generation, account_id)
    compliance = (
        await repository.compliance_of(session, generation, current.contract_id)
        if current
        else None
    )
    credit = await repository.credit_of(session, generation, account_id)
    due = renewal_due(current)
    cases = await repository.open_cases_by_category(session, generation, [account_id])
    return PartnershipOut(
        account_id=account_id,
        account=AccountOut.model_validate(account, from_attributes=True),
        contract_status=current.status if current else "none",
        program_id=current.program_id if current else None,
        program_name=current.program_name if current else None,
        tier=current.tier if current else None,
        start_date=current.start_date if current else None,
        end_date=current.end_date if current else None,
        renewal_due=due,
        renewal_due_in_days=(due - today).days if due else None,
        contract=contract_out(current) if current else None,
        other_contracts=[contract_out(c) for c in contracts[1:]],
        latest_audit=audit_out(latest) if latest else None,
        audit_trend=trend_of(audits),
        audit_history=[
            AuditPoint(performed_at=a.performed_at, overall_score=a.overall_score)
            for a in audits[:AUDIT_HISTORY]
        ],
        open_gaps=[GapOut.model_validate(g) for g in latest.gaps] if latest else [],
        commitments=[
            commitment_progress(c, sell_in, latest)
            for c in (current.commitments if current else [])
        ],
        compliance=ComplianceOut.model_validate(compliance, from_attributes=True)
        if compliance
        else None,
        rebates=[
            rebate_out(r) for r in await repository.rebates_of(session, generation, account_id)
        ],
        facilitations=await facilitation_year(session, generation, account_id, today.year),
        open_cases=cases.get(account_id, {}),
        credit=_credit_out(credit) if credit else None,
        as_of=view.as_of,
    )


def _credit_out(credit: CreditRecord) -> CreditOut:
    return CreditOut(
        blocked=credit.blocked,
        credit_limit=Money.of(credit.credit_limit, credit.currency),
        exposure=SignedMoney.of(credit.exposure, credit.currency),
        overdue_amount=Money.of(credit.overdue_amount, credit.currency)
        if credit.overdue_amount is not None
        else None,
        as_of=credit.as_of,
    )


async def partnership_page(
    reads: Reader,
    principal: Principal,
    view: ReadView,
    filters: PartnershipFilters,
    params: PageParams,
    today: date,
) -> PartnershipPage:
    rows, next_cursor = await repository.page(
        reads, principal, view.generation, filters, params, today
    )
    return PartnershipPage(
        items=[_list_item(row) for row in rows], next_cursor=next_cursor, as_of=view.as_of
    )


def _list_item(row: Any) -> PartnershipListItem:
    # The columns of ``repository.page`` in their order: unpacking the row is a fraction of
    # the cost of reading its fields by name (a sixth of the page's CPU).
    (
        account_id,
        account_name,
        owner_id,
        territory,
        contract_id,
        status,
        program_id,
        program_name,
        tier,
        start_date,
        end_date,
        latest,
        previous,
        open_cases,
    ) = row
    has_contract = contract_id is not None
    return PartnershipListItem(
        account_id=account_id,
        account_name=account_name,
        owner_id=owner_id,
        territory=territory,
        contract_status=status if has_contract else "none",
        contract_id=contract_id,
        program_id=program_id,
        program_name=program_name,
        tier=tier,
        start_date=start_date,
        end_date=end_date,
        renewal_due=end_date if has_contract and status in IN_FORCE else None,
        latest_audit_score=latest,
        audit_trend=_trend(latest, previous),
        open_cases=open_cases,
    )


def _trend(latest: Decimal | None, previous: Decimal | None) -> Trend | None:
    """:func:`trend_of` of the two latest overall scores (``None``: no such audit)."""
    if latest is None or previous is None:
        return None
    return "up" if latest > previous else "down" if latest < previous else "flat"
