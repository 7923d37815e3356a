"""Settling the rebate a contract earned (docs/rules.md, "Rebates").

Once a contract's period is over and judged (its last month's sell-in arrived, or its grace
passed), the daily job settles its rebate once: the rebate % of the tier reached, on the
period's sell-in value, per currency. The contracted tier is reached when compliance at the
period's end has nothing at risk or missed (volumes as finally judged, audit scores as of the
last day); otherwise the best tier below it (by rebate %) whose own requirements the period
met: its minimum annual volume pro rata to the period's months, its minimum scores in the audit
still valid on the last day and its other requirements attested as met then (none of either
needed before the first audit was due). None reached earns nothing; the event says so too."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_contracts.attestations import repository as attestations
from tread_contracts.audits import repository as audits
from tread_contracts.compliance import repository as sell_in
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.compliance.schemas import ComplianceOut
from tread_contracts.compliance.service import evaluate, months_between, months_judged
from tread_contracts.contracts import repository as contracts
from tread_contracts.contracts.models import Contract
from tread_contracts.contracts.terms import tier_terms
from tread_contracts.emit import emit
from tread_contracts.jobs import each_in_own_transaction
from tread_contracts.periods import add_months
from tread_contracts.programs.schemas import Tier
from tread_contracts.programs.service import tiers_of
from tread_contracts.rebates import repository
from tread_contracts.rebates.models import EarnedRebate
from tread_contracts.rebates.schemas import RebateOut
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.types import plain_decimal as plain
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.contracts import RebateAmount, RebateEarned
from tread_shared.money import Money

CENT = Decimal("0.01")


async def _valid_scores_at_end(
    session: AsyncSession, contract: Contract, policy: CompliancePolicy
) -> dict[str, int] | None:
    """The scores of the audit still valid on the period's last day; ``None`` when the first
    audit was not yet due by then (no score can be asked for)."""
    end = contract.end_date
    latest = await audits.latest_for_contract(
        session, contract, datetime.combine(end + timedelta(days=1), time.min, UTC)
    )
    if latest is None:
        first_due = add_months(contract.start_date, policy.first_audit_due_months)
        return None if end < first_due else {}
    if add_months(latest.performed_at.date(), policy.audit_validity_months) <= end:
        return {}
    return {s.criterion: s.score for s in latest.scores}


async def _attested_at_end(
    session: AsyncSession, contract: Contract, tier: Tier, policy: CompliancePolicy
) -> bool:
    """Whether the tier's other requirements were attested as met, valid on the last day
    (none asked before the first audit was due, like scores)."""
    end = contract.end_date
    if end < add_months(contract.start_date, policy.first_audit_due_months):
        return True
    before = datetime.combine(end + timedelta(days=1), time.min, UTC)
    for requirement in tier.other_requirements:
        latest = await attestations.latest(session, contract.id, requirement.name, before)
        if (
            latest is None
            or add_months(latest.attested_at.date(), policy.audit_validity_months) <= end
            or not latest.meets(requirement.minimum)
        ):
            return False
    return True


def _meets(tier: Tier, units: int, months: int, scores: dict[str, int] | None) -> bool:
    volume = (Decimal(tier.min_annual_volume) * months / 12).quantize(Decimal(1), ROUND_HALF_UP)
    if units < volume:
        return False
    if scores is None:
        return True
    return all(scores.get(c, -1) >= minimum for c, minimum in tier.min_scores.items())


async def tier_reached(
    session: AsyncSession,
    contract: Contract,
    at_end: ComplianceOut,
    units: int,
    policy: CompliancePolicy,
) -> Tier | None:
    contracted = tier_terms(contract)
    if all(item.status in ("met", "on_track") for item in at_end.items):
        return contracted
    scores = await _valid_scores_at_end(session, contract, policy)
    months = len(months_between(contract.start_date, contract.end_date))
    below = sorted(
        (
            tier
            for tier in tiers_of(contract.program_terms)
            if tier.code != contracted.code and tier.rebate_pct <= contracted.rebate_pct
        ),
        key=lambda tier: tier.rebate_pct,
        reverse=True,
    )
    for tier in below:
        if _meets(tier, units, months, scores) and await _attested_at_end(
            session, contract, tier, policy
        ):
            return tier
    return None


async def settle_rebate(
    session: AsyncSession,
    outbox: Outbox,
    contract: Contract,
    today: date,
    policy: CompliancePolicy,
) -> bool:
    """Settle the contract's rebate if its period is over and judged; whether it was."""
    if contract.status not in repository.RAN_ITS_PERIOD or contract.end_date >= today:
        return False
    if await repository.of_contract(session, contract.id) is not None:
        return False
    months = months_between(contract.start_date, contract.end_date)
    arrived = await sell_in.months_with_sell_in(session, contract.account_id, months)
    if months_judged(months, arrived, today, policy) < len(months):
        return False
    at_end = await evaluate(session, contract, today, policy, audits_as_of=contract.end_date)
    units = await sell_in.sell_in_total(session, contract.account_id, months)
    tier = await tier_reached(session, contract, at_end, units, policy)
    pct = tier.rebate_pct if tier is not None else Decimal(0)
    values = await repository.sell_in_value(session, contract.account_id, months)
    amounts = [
        RebateAmount(
            sell_in_value=Money.of(values[currency], currency),
            rebate=Money.of((values[currency] * pct / 100).quantize(CENT, ROUND_HALF_UP), currency),
        )
        for currency in sorted(values)
    ]
    rebate = EarnedRebate(
        contract_id=contract.id,
        account_id=contract.account_id,
        tier_reached=tier.code if tier is not None else None,
        rebate_pct=plain(pct),
        compliance=at_end.overall,
        sell_in_units=units,
        amounts=[
            {
                "currency": a.rebate.currency,
                "sell_in_value": str(a.sell_in_value.amount),
                "rebate": str(a.rebate.amount),
            }
            for a in amounts
        ],
        judged_on=today,
        computed_at=utcnow(),
    )
    session.add(rebate)
    await emit(
        session,
        outbox,
        contract,
        lambda: RebateEarned(
            contract_id=contract.id,
            account_id=contract.account_id,
            program_id=contract.program_id,
            program_version=contract.program_version,
            tier=contract.tier,
            tier_reached=rebate.tier_reached,
            rebate_pct=rebate.rebate_pct,
            period_start=contract.start_date,
            period_end=contract.end_date,
            compliance=at_end.overall,
            sell_in_units=units,
            amounts=amounts,
            judged_on=today,
            computed_at=rebate.computed_at,
        ),
    )
    return True


async def settle_ended_contracts(
    db: Database, outbox: Outbox, today: date, policy: CompliancePolicy
) -> int:
    """Settle the rebate of every contract whose period is over and judged by ``today``."""
    async with db.unit_of_work() as session:
        candidates = await repository.unsettled_ended_ids(session, today)

    async def settle(session: AsyncSession, contract_id: uuid.UUID) -> bool:
        contract = await contracts.get(session, contract_id)
        return contract is not None and await settle_rebate(
            session, outbox, contract, today, policy
        )

    return await each_in_own_transaction(db, candidates, settle)


async def earned(session: AsyncSession, contract_id: uuid.UUID) -> RebateOut | None:
    """The contract's settled rebate, if its period has been settled."""
    rebate = await repository.of_contract(session, contract_id)
    return RebateOut.of(rebate) if rebate is not None else None
