"""Evaluating compliance, and announcing it when it changes.

Volumes: sell-in of the period's months against the quantity. Met once reached; missed if the
period ended short; otherwise on track or at risk by pace — the pro-rata share of the quantity
for the period's months already closed (sell-in arrives per month, after the month).
Audit scores: the latest audit of the contract against the minimum per criterion; below it is
at risk while the contract runs and missed once it has ended."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.audits import repository as audits
from tread_contracts.compliance import repository
from tread_contracts.compliance.models import ComplianceSnapshot
from tread_contracts.compliance.schemas import (
    ComplianceItemOut,
    ComplianceOut,
    LatestAuditOut,
)
from tread_contracts.contracts import repository as contracts
from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.terms import required_scores, tier_terms
from tread_contracts.emit import emit
from tread_contracts.jobs import each_in_own_transaction
from tread_contracts.periods import add_months, months_of, period_bounds
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.contracts import ComplianceChanged, ComplianceStatus

SEVERITY: dict[ComplianceStatus, int] = {"met": 0, "on_track": 1, "at_risk": 2, "missed": 3}


def _months_between(first: date, last: date) -> list[str]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = add_months(day, 1)
    return months


def _volume_status(
    required: Decimal, actual: int, months: list[str], last: date, as_of: date
) -> tuple[ComplianceStatus, Decimal]:
    closed = sum(1 for month in months if period_bounds(month)[1] < as_of)
    expected = (required * closed / len(months)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if actual >= required:
        return "met", expected
    if as_of > last:
        return "missed", expected
    return ("on_track" if actual >= expected else "at_risk"), expected


async def _volume_items(
    session: AsyncSession, contract: Contract, as_of: date
) -> list[ComplianceItemOut]:
    items = []
    for commitment in contract.commitments:
        if commitment["kind"] != "volume":
            continue
        period, product_line = commitment["period"], commitment.get("product_line")
        months = months_of(period)
        actual = await repository.sell_in_total(session, contract.account_id, months, product_line)
        required = Decimal(commitment["quantity"])
        status, expected = _volume_status(required, actual, months, period_bounds(period)[1], as_of)
        items.append(
            ComplianceItemOut(
                kind="volume",
                status=status,
                period=period,
                product_line=product_line,
                required=required,
                actual=Decimal(actual),
                expected_to_date=expected,
            )
        )
    minimum = tier_terms(contract).min_annual_volume
    if minimum:
        months = _months_between(contract.start_date, contract.end_date)
        required = (Decimal(minimum) * len(months) / 12).quantize(Decimal(1), ROUND_HALF_UP)
        actual = await repository.sell_in_total(session, contract.account_id, months)
        status, expected = _volume_status(required, actual, months, contract.end_date, as_of)
        items.append(
            ComplianceItemOut(
                kind="tier_volume",
                status=status,
                period=f"{contract.start_date.isoformat()}/{contract.end_date.isoformat()}",
                required=required,
                actual=Decimal(actual),
                expected_to_date=expected,
            )
        )
    return items


async def evaluate(session: AsyncSession, contract: Contract, as_of: date) -> ComplianceOut:
    items = await _volume_items(session, contract, as_of)
    latest = await audits.latest_for_contract(session, contract.id)
    scores = {s.criterion: s.score for s in latest.scores} if latest else {}
    for criterion, minimum in required_scores(contract).items():
        score = scores.get(criterion)
        status: ComplianceStatus = "met"
        if score is None or score < minimum:
            status = "missed" if as_of > contract.end_date else "at_risk"
        items.append(
            ComplianceItemOut(
                kind="audit_score",
                status=status,
                criterion=criterion,
                required=Decimal(minimum),
                actual=Decimal(score) if score is not None else None,
                audit_id=latest.id if latest else None,
            )
        )
    overall = max((item.status for item in items), key=SEVERITY.__getitem__, default="met")
    return ComplianceOut(
        contract_id=contract.id,
        account_id=contract.account_id,
        program_id=contract.program_id,
        program_version=contract.program_version,
        tier=contract.tier,
        contract_status=contract.status,
        as_of=as_of,
        overall=overall,
        items=items,
        latest_audit=(
            LatestAuditOut(
                id=latest.id, performed_at=latest.performed_at, overall_score=latest.overall_score
            )
            if latest
            else None
        ),
    )


def _fingerprint(report: ComplianceOut) -> str:
    content = report.model_dump(mode="json", include={"overall", "items"})
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


async def refresh_compliance(
    session: AsyncSession, outbox: Outbox, contract: Contract, today: date
) -> bool:
    """Evaluate an active contract and emit ``compliance.changed`` if anything moved since the
    last announcement; whether it did."""
    if contract.status != "active":
        return False
    report = await evaluate(session, contract, today)
    fingerprint = _fingerprint(report)
    snapshot = await repository.snapshot(session, contract.id)
    if snapshot is not None and snapshot.fingerprint == fingerprint:
        return False
    previous = snapshot.overall if snapshot is not None else None
    now = utcnow()
    if snapshot is None:
        session.add(
            ComplianceSnapshot(
                contract_id=contract.id,
                overall=report.overall,
                fingerprint=fingerprint,
                evaluated_at=now,
            )
        )
    else:
        snapshot.overall, snapshot.fingerprint, snapshot.evaluated_at = (
            report.overall,
            fingerprint,
            now,
        )
    await emit(
        session,
        outbox,
        contract,
        lambda: ComplianceChanged(
            contract_id=contract.id,
            account_id=contract.account_id,
            program_id=contract.program_id,
            tier=contract.tier,
            overall=report.overall,
            previous_overall=previous,
            items=report.items,
            as_of=today,
            evaluated_at=now,
        ),
    )
    return True


async def refresh_account(
    session: AsyncSession, outbox: Outbox, account_id: uuid.UUID, today: date
) -> None:
    for contract in await contracts.active_for(session, account_id):
        await refresh_compliance(session, outbox, contract, today)


async def reevaluate_active_contracts(db: Database, outbox: Outbox, today: date) -> int:
    """Time moves items from on track to at risk or missed: re-evaluate every active contract."""
    async with db.unit_of_work() as session:
        candidates = await contracts.active_ids(session)

    async def refresh(session: AsyncSession, contract_id: uuid.UUID) -> bool:
        contract = await contracts.get(session, contract_id)
        return contract is not None and await refresh_compliance(session, outbox, contract, today)

    return await each_in_own_transaction(db, candidates, refresh)
