"""Qualifying an account on potential against current result (the rule is in ``policy.py``):
proposed by whoever works the account, validated (or rejected) by a district manager; the
validated one becomes the account's quadrant and its current qualification (what investment
control plans with and the portfolio analysis counts), announced as ``account.qualified``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.accounts.events import record_account_event
from tread_accounts.accounts.models import Account
from tread_accounts.potential import repository
from tread_accounts.potential.models import PotentialQualification
from tread_accounts.potential.policy import QualificationPolicy, quadrant_of
from tread_accounts.potential.schemas import (
    CurrentResultOut,
    DecisionIn,
    DeviationOut,
    PotentialOut,
    PotentialQualificationIn,
    PotentialQualificationOut,
    ServiceLevelOut,
)
from tread_accounts.qualification import service as current
from tread_accounts.qualification.schemas import ExpectedResult, PlannedInvestment
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import AccountQualified, QualificationSnapshot
from tread_shared.money import Money, SignedMoney


def last_twelve_months(today: date) -> tuple[str, str]:
    """The twelve full months before ``today``'s month, as ``YYYY-MM``."""
    last = today.replace(day=1) - timedelta(days=1)
    index = last.year * 12 + last.month - 1 - 11
    return f"{index // 12:04d}-{index % 12 + 1:02d}", f"{last.year:04d}-{last.month:02d}"


def _in_currency(table: dict[str, Decimal], what: str, currency: str) -> Decimal:
    if currency not in table:
        raise Unprocessable(
            f"The qualification policy has no {what} in {currency}.",
            slug="no-threshold-for-currency",
        )
    return table[currency]


async def propose(
    session: AsyncSession,
    principal: Principal,
    account: Account,
    data: PotentialQualificationIn,
    policy: QualificationPolicy,
) -> PotentialQualification:
    segment, thresholds = policy.thresholds_for(account.segment)
    planned = data.planned_investment
    margin_threshold = _in_currency(
        thresholds.current_margin, "margin threshold", data.current_margin.currency
    )
    potential = int(
        (data.estimated_annual_purchases_units * data.target_share_pct / 100).quantize(
            Decimal(1), ROUND_HALF_UP
        )
    )
    first, last = last_twelve_months(utcnow().date())
    sold = await repository.sell_in_units(session, account.id, first, last)
    high_potential = potential >= thresholds.potential_units
    high_result = sold >= thresholds.current_units or data.current_margin.amount >= margin_threshold
    quadrant = quadrant_of(high_potential, high_result)
    level = policy.service_levels[quadrant]
    recommended_budget = _in_currency(level.budget, "service-level budget", planned.budget.currency)
    qualification = PotentialQualification(
        account_id=account.id,
        segment=segment,
        estimated_purchases_units=data.estimated_annual_purchases_units,
        target_share_pct=data.target_share_pct,
        potential_units=potential,
        sell_in_from=first,
        sell_in_to=last,
        sell_in_units=sold,
        margin_amount=data.current_margin.amount,
        margin_currency=data.current_margin.currency,
        high_potential=high_potential,
        high_result=high_result,
        quadrant=quadrant,
        recommended_visits=level.visits_per_year,
        recommended_hours=level.hours_per_year,
        recommended_budget=recommended_budget,
        planned_visits=planned.visits_per_year,
        planned_hours=planned.hours_per_year,
        planned_budget=planned.budget.amount,
        budget_currency=planned.budget.currency,
        notes=data.notes,
        qualified_by=principal.sub,
        qualified_at=utcnow(),
        status="proposed",
    )
    session.add(qualification)
    await session.flush()
    return qualification


async def decide(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    account: Account,
    qualification_id: uuid.UUID,
    data: DecisionIn,
) -> PotentialQualification:
    """A district manager (or an admin) validates or rejects a proposed qualification."""
    if not principal.has_role(Role.DISTRICT_MANAGER, Role.ADMIN):
        raise Forbidden("Only a district manager validates a qualification.")
    qualification = await repository.get(session, account.id, qualification_id)
    if qualification is None:
        raise NotFound(f"No qualification {qualification_id} of account {account.id}.")
    if qualification.status != "proposed":
        raise Conflict(
            f"The qualification is already {qualification.status}; only a proposed one is "
            "validated or rejected.",
            slug="qualification-decided",
        )
    qualification.status = data.decision
    qualification.decided_by = principal.sub
    qualification.decided_at = utcnow()
    qualification.decision_note = data.note
    if data.decision == "validated":
        previous = account.quadrant
        account.quadrant = qualification.quadrant
        await _keep_as_current(session, account, qualification)
        await record_account_event(
            session,
            outbox,
            AccountQualified,
            account,
            qualification=QualificationSnapshot(
                quadrant=qualification.quadrant,
                annual_volume_units=qualification.potential_units,
                margin_potential=Money.of(
                    qualification.margin_amount, qualification.margin_currency
                ),
                visits_per_year=qualification.planned_visits,
                hours_per_year=qualification.planned_hours,
                budget=Money.of(qualification.planned_budget, qualification.budget_currency),
            ),
            previous_quadrant=previous,
            qualified_by=principal.sub,
        )
    else:
        await session.flush()
    return qualification


async def _keep_as_current(
    session: AsyncSession, account: Account, q: PotentialQualification
) -> None:
    margin = Money.of(q.margin_amount, q.margin_currency)
    await current.keep_as_current(
        session,
        account,
        expected=ExpectedResult(annual_volume_units=q.potential_units, margin_potential=margin),
        planned=PlannedInvestment(
            visits_per_year=q.planned_visits,
            hours_per_year=q.planned_hours,
            budget=Money.of(q.planned_budget, q.budget_currency),
        ),
        quadrant=q.quadrant,
        high_result=q.high_result,
        # High potential is what calls for the high service levels (develop, maintain).
        high_investment=q.high_potential,
        notes=q.notes,
        qualified_by=q.qualified_by,
    )


async def history(session: AsyncSession, account: Account) -> Sequence[PotentialQualification]:
    return await repository.history(session, account.id)


def qualification_out(q: PotentialQualification) -> PotentialQualificationOut:
    currency = q.budget_currency
    share = (
        (Decimal(q.sell_in_units) * 100 / q.estimated_purchases_units).quantize(Decimal("0.1"))
        if q.estimated_purchases_units
        else None
    )
    return PotentialQualificationOut(
        id=q.id,
        account_id=q.account_id,
        segment=q.segment,
        potential=PotentialOut(
            estimated_annual_purchases_units=q.estimated_purchases_units,
            target_share_pct=q.target_share_pct,
            units=q.potential_units,
            high=q.high_potential,
        ),
        current_result=CurrentResultOut(
            sell_in_from=q.sell_in_from,
            sell_in_to=q.sell_in_to,
            sell_in_units=q.sell_in_units,
            share_pct=share,
            margin=Money.of(q.margin_amount, q.margin_currency),
            high=q.high_result,
        ),
        quadrant=q.quadrant,
        recommended=ServiceLevelOut(
            visits_per_year=q.recommended_visits,
            hours_per_year=q.recommended_hours,
            budget=Money.of(q.recommended_budget, currency),
        ),
        planned=ServiceLevelOut(
            visits_per_year=q.planned_visits,
            hours_per_year=q.planned_hours,
            budget=Money.of(q.planned_budget, currency),
        ),
        deviation=DeviationOut(
            visits_per_year=q.planned_visits - q.recommended_visits,
            hours_per_year=q.planned_hours - q.recommended_hours,
            budget=SignedMoney.of(q.planned_budget - q.recommended_budget, currency),
        ),
        notes=q.notes,
        qualified_by=q.qualified_by,
        qualified_at=q.qualified_at,
        status=q.status,
        decided_by=q.decided_by,
        decided_at=q.decided_at,
        decision_note=q.decision_note,
        version=q.version,
    )
