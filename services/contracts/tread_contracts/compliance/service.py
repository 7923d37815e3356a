"""Evaluating compliance, and announcing it when it changes (the rules: docs/rules.md).

Volumes: sell-in of the period's months against the quantity. Met once reached; otherwise
judged on the months whose sell-in has arrived (or whose grace period has passed): on track
within the pace tolerance of their pro-rata share, at risk below it, missed once the whole
period is judged short.
Audit scores: the latest audit still valid, against the minimum per criterion; below it (or no
valid audit once one is due) is at risk while the contract runs and missed once it has ended.
Before a new contract's first audit is due, no audit is on track."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.attestations import repository as attestations
from tread_contracts.audits import repository as audits
from tread_contracts.compliance import repository
from tread_contracts.compliance.models import ComplianceSnapshot
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.schemas import (
    ComplianceItemOut,
    ComplianceOut,
    LatestAuditOut,
)
from tread_contracts.contracts import repository as contracts
from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.terms import named_requirements, required_scores, tier_terms
from tread_contracts.emit import emit
from tread_contracts.jobs import each_in_own_transaction
from tread_contracts.periods import add_months, months_of, period_bounds
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.contracts import ComplianceChanged, ComplianceStatus

SEVERITY: dict[ComplianceStatus, int] = {"met": 0, "on_track": 1, "at_risk": 2, "missed": 3}


def months_between(first: date, last: date) -> list[str]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(f"{day.year:04d}-{day.month:02d}")
        day = add_months(day, 1)
    return months


def months_judged(
    months: list[str], arrived: set[str], as_of: date, policy: CompliancePolicy
) -> int:
    """How many of ``months``, from the first, are judged as of ``as_of``: ended, and their
    sell-in arrived or their grace period passed. Sell-in comes month by month, so a month
    still awaited stops the count."""
    grace = timedelta(days=policy.sell_in_grace_days)
    judged = 0
    for month in months:
        end = period_bounds(month)[1]
        if end >= as_of or (month not in arrived and end + grace >= as_of):
            break
        judged += 1
    return judged


def _volume_status(
    required: Decimal,
    actual: int,
    weights: list[Decimal],
    judged: int,
    tolerance_pct: Decimal,
) -> tuple[ComplianceStatus, Decimal]:
    """``weights``: each month's share of the volume (the seasonal profile)."""
    share = sum(weights[:judged], Decimal(0)) / sum(weights, Decimal(0))
    expected = (required * share).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if actual >= required:
        return "met", expected
    if judged == len(weights):
        return "missed", expected
    floor = expected * (100 - tolerance_pct) / 100
    return ("on_track" if actual >= floor else "at_risk"), expected


async def _monthly_weights(
    session: AsyncSession, contract: Contract, months: list[str], product_line: str | None
) -> list[Decimal]:
    """Each month's weight in the tier's seasonal profile: flat, twelve given weights, or the
    account's sell-in of the same month a year earlier (flat when there was none)."""
    profile = tier_terms(contract).seasonal_profile
    if isinstance(profile, list):
        return [profile[int(month[5:7]) - 1] for month in months]
    if profile == "last_year":
        earlier = [f"{int(month[:4]) - 1}{month[4:]}" for month in months]
        sold = await repository.sell_in_by_month(
            session, contract.account_id, earlier, product_line
        )
        weights = [Decimal(sold.get(month, 0)) for month in earlier]
        if sum(weights) > 0:
            return weights
    return [Decimal(1)] * len(months)


async def _volume_item(
    session: AsyncSession,
    contract: Contract,
    months: list[str],
    required: Decimal,
    product_line: str | None,
    as_of: date,
    policy: CompliancePolicy,
) -> tuple[ComplianceStatus, Decimal, int, str | None]:
    actual = await repository.sell_in_total(session, contract.account_id, months, product_line)
    arrived = await repository.months_with_sell_in(session, contract.account_id, months)
    judged = months_judged(months, arrived, as_of, policy)
    weights = await _monthly_weights(session, contract, months, product_line)
    tolerance = tier_terms(contract).pace_tolerance_pct
    status, expected = _volume_status(
        required,
        actual,
        weights,
        judged,
        policy.pace_tolerance_pct if tolerance is None else tolerance,
    )
    return status, expected, actual, months[judged - 1] if judged else None


async def _volume_items(
    session: AsyncSession, contract: Contract, as_of: date, policy: CompliancePolicy
) -> list[ComplianceItemOut]:
    items = []
    for commitment in contract.commitments:
        if commitment["kind"] != "volume":
            continue
        period, product_line = commitment["period"], commitment.get("product_line")
        required = Decimal(commitment["quantity"])
        status, expected, actual, through = await _volume_item(
            session, contract, months_of(period), required, product_line, as_of, policy
        )
        items.append(
            ComplianceItemOut(
                kind="volume",
                status=status,
                period=period,
                product_line=product_line,
                required=required,
                actual=Decimal(actual),
                expected_to_date=expected,
                judged_through=through,
            )
        )
    minimum = tier_terms(contract).min_annual_volume
    if minimum:
        months = months_between(contract.start_date, contract.end_date)
        required = (Decimal(minimum) * len(months) / 12).quantize(Decimal(1), ROUND_HALF_UP)
        status, expected, actual, through = await _volume_item(
            session, contract, months, required, None, as_of, policy
        )
        items.append(
            ComplianceItemOut(
                kind="tier_volume",
                status=status,
                period=f"{contract.start_date.isoformat()}/{contract.end_date.isoformat()}",
                required=required,
                actual=Decimal(actual),
                expected_to_date=expected,
                judged_through=through,
            )
        )
    return items


def _audit_status(
    score: int | None, minimum: int, contract: Contract, as_of: date, due_by: date
) -> ComplianceStatus:
    if score is not None and score >= minimum:
        return "met"
    if score is None and as_of < due_by:
        return "on_track"
    return "missed" if as_of > contract.end_date else "at_risk"


async def _attested_items(
    session: AsyncSession,
    contract: Contract,
    day: date,
    first_due: date,
    policy: CompliancePolicy,
) -> list[ComplianceItemOut]:
    """The named requirements, each on its latest attestation: valid and due like an audit."""
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, UTC)
    items = []
    for name, minimum in named_requirements(contract).items():
        latest = await attestations.latest(session, contract.id, name, end_of_day)
        lapses = (
            add_months(latest.attested_at.date(), policy.audit_validity_months)
            if latest is not None
            else None
        )
        valid = latest if latest is not None and lapses is not None and lapses > day else None
        due_by = lapses or first_due
        status: ComplianceStatus
        if valid is not None and valid.meets(minimum):
            status = "met"
        elif valid is None and day < due_by:
            status = "on_track"
        else:
            status = "missed" if day > contract.end_date else "at_risk"
        items.append(
            ComplianceItemOut(
                kind="other",
                status=status,
                name=name,
                required=minimum if minimum is not None else Decimal(1),
                actual=(
                    (valid.value if minimum is not None else Decimal(1))
                    if valid is not None
                    else None
                ),
                attestation_id=valid.id if valid is not None else None,
                due_by=due_by,
            )
        )
    return items


async def evaluate(
    session: AsyncSession,
    contract: Contract,
    as_of: date,
    policy: CompliancePolicy,
    audits_as_of: date | None = None,
) -> ComplianceOut:
    """``audits_as_of``: judge the audit scores as of another day than the volumes (a
    period's end, once its last month's sell-in is in)."""
    items = await _volume_items(session, contract, as_of, policy)
    audit_day = audits_as_of or as_of
    # As of a day: what was known by its end, so an evaluation of a past day stays the same.
    end_of_day = datetime.combine(audit_day + timedelta(days=1), time.min, UTC)
    latest = await audits.latest_for_contract(session, contract, end_of_day)
    first_due = add_months(contract.start_date, policy.first_audit_due_months)
    valid = (
        latest is not None
        and add_months(latest.performed_at.date(), policy.audit_validity_months) > audit_day
    )
    # The latest audit counts until it lapses; then a new one is due (and so is the first).
    due_by = (
        add_months(latest.performed_at.date(), policy.audit_validity_months)
        if latest is not None
        else first_due
    )
    scores = {s.criterion: s.score for s in latest.scores} if latest and valid else {}
    for criterion, minimum in required_scores(contract).items():
        score = scores.get(criterion)
        items.append(
            ComplianceItemOut(
                kind="audit_score",
                status=_audit_status(score, minimum, contract, audit_day, due_by),
                criterion=criterion,
                required=Decimal(minimum),
                actual=Decimal(score) if score is not None else None,
                audit_id=latest.id if latest and valid else None,
                due_by=due_by,
            )
        )
    items += await _attested_items(session, contract, audit_day, first_due, policy)
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
    session: AsyncSession,
    outbox: Outbox,
    contract: Contract,
    today: date,
    policy: CompliancePolicy,
) -> bool:
    """Evaluate an active contract and emit ``compliance.changed`` if anything moved since the
    last announcement; whether it did."""
    if contract.status != "active":
        return False
    report = await evaluate(session, contract, today, policy)
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
    session: AsyncSession,
    outbox: Outbox,
    account_id: uuid.UUID,
    today: date,
    policy: CompliancePolicy,
) -> None:
    for contract in await contracts.active_for(session, account_id):
        await refresh_compliance(session, outbox, contract, today, policy)


async def reevaluate_active_contracts(
    db: Database, outbox: Outbox, today: date, policy: CompliancePolicy
) -> int:
    """Time moves items from on track to at risk or missed: re-evaluate every active contract."""
    async with db.unit_of_work() as session:
        candidates = await contracts.active_ids(session)

    async def refresh(session: AsyncSession, contract_id: uuid.UUID) -> bool:
        contract = await contracts.get(session, contract_id)
        return contract is not None and await refresh_compliance(
            session, outbox, contract, today, policy
        )

    return await each_in_own_transaction(db, candidates, refresh)
