"""Qualifying an account (the rule is in ``quadrant.py``) and analysing the portfolio by
quadrant."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.access import visible_accounts
from tread_accounts.accounts.events import record_account_event
from tread_accounts.accounts.models import Account
from tread_accounts.qualification import repository
from tread_accounts.qualification.models import Qualification
from tread_accounts.qualification.quadrant import QUADRANTS, MissingThreshold, assess
from tread_accounts.qualification.schemas import (
    AccountInQuadrant,
    ExpectedResult,
    PlannedInvestment,
    PlannedTotals,
    PortfolioAnalysis,
    QuadrantAnalysis,
    QualificationIn,
    QualificationOut,
    ThresholdsOut,
)
from tread_accounts.settings import Settings
from tread_shared.auth.principal import Principal
from tread_shared.clock import utcnow
from tread_shared.errors import Unprocessable
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import AccountQualified, QualificationSnapshot
from tread_shared.money import Money


async def current_qualification(session: AsyncSession, account: Account) -> Qualification | None:
    return await repository.for_account(session, account.id)


async def qualify(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    account: Account,
    data: QualificationIn,
    settings: Settings,
) -> Qualification:
    expected, planned = data.expected, data.planned_investment
    try:
        assessment = assess(
            annual_volume_units=expected.annual_volume_units,
            margin_potential=expected.margin_potential,
            visits_per_year=planned.visits_per_year,
            hours_per_year=planned.hours_per_year,
            budget=planned.budget,
            thresholds=settings.quadrant_thresholds,
        )
    except MissingThreshold as exc:
        raise Unprocessable(
            f"The quadrant rule has no threshold for {exc.currency}: {exc}.",
            slug="no-threshold-for-currency",
        ) from exc
    qualification = await keep_as_current(
        session,
        account,
        expected=expected,
        planned=planned,
        quadrant=assessment.quadrant,
        high_result=assessment.high_result,
        high_investment=assessment.high_investment,
        notes=data.notes,
        qualified_by=principal.sub,
    )
    previous_quadrant = account.quadrant
    account.quadrant = assessment.quadrant
    await record_account_event(
        session,
        outbox,
        AccountQualified,
        account,
        qualification=QualificationSnapshot(
            quadrant=assessment.quadrant,
            annual_volume_units=expected.annual_volume_units,
            margin_potential=expected.margin_potential,
            visits_per_year=planned.visits_per_year,
            hours_per_year=planned.hours_per_year,
            budget=planned.budget,
        ),
        previous_quadrant=previous_quadrant,
        qualified_by=principal.sub,
    )
    return qualification


def margin_potential(q: Qualification) -> Money:
    return Money(amount=q.margin_potential_amount, currency=q.margin_potential_currency)


def budget(q: Qualification) -> Money:
    return Money(amount=q.budget_amount, currency=q.budget_currency)


def qualification_out(q: Qualification) -> QualificationOut:
    return QualificationOut(
        account_id=q.account_id,
        expected=ExpectedResult(
            annual_volume_units=q.annual_volume_units, margin_potential=margin_potential(q)
        ),
        planned_investment=PlannedInvestment(
            visits_per_year=q.visits_per_year, hours_per_year=q.hours_per_year, budget=budget(q)
        ),
        quadrant=q.quadrant,
        high_result=q.high_result,
        high_investment=q.high_investment,
        notes=q.notes,
        qualified_by=q.qualified_by,
        qualified_at=q.qualified_at,
        version=q.version,
    )


async def analyse_portfolio(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    owner_id: str | None,
    territory: str | None,
    limit_per_quadrant: int,
) -> PortfolioAnalysis:
    scope = visible_accounts(principal)
    filters = {"owner_id": owner_id, "territory": territory}
    totals = {
        row.quadrant: row for row in await repository.totals_by_quadrant(session, scope, **filters)
    }
    budgets: dict[str, list[Money]] = defaultdict(list)
    for quadrant, currency, amount in await repository.budgets_by_quadrant(
        session, scope, **filters
    ):
        # SQLite sums decimals as floats: back to the 4 decimals amounts are kept with.
        budgets[quadrant].append(
            Money(amount=amount.quantize(Decimal("0.0001")), currency=currency)
        )

    async def listed(quadrant: str | None) -> tuple[list[AccountInQuadrant], bool]:
        rows = await repository.accounts_in_quadrant(
            session, scope, quadrant, limit_per_quadrant + 1, **filters
        )
        accounts = [
            AccountInQuadrant(
                id=account.id,
                name=account.name,
                owner_id=account.owner_id,
                territory=account.territory,
                annual_volume_units=q.annual_volume_units if q else None,
                margin_potential=margin_potential(q) if q else None,
                budget=budget(q) if q else None,
            )
            for account, q in rows[:limit_per_quadrant]
        ]
        return accounts, len(rows) > limit_per_quadrant

    quadrants = []
    for quadrant in QUADRANTS:
        row = totals.get(quadrant)
        accounts, more = await listed(quadrant) if row else ([], False)
        quadrants.append(
            QuadrantAnalysis(
                quadrant=quadrant,
                count=row.accounts if row else 0,
                annual_volume_units=int(row.volume or 0) if row else 0,
                planned_investment=PlannedTotals(
                    visits_per_year=int(row.visits or 0) if row else 0,
                    hours_per_year=int(row.hours or 0) if row else 0,
                    budget=sorted(budgets.get(quadrant, []), key=lambda m: m.currency),
                ),
                accounts=accounts,
                more_accounts=more,
            )
        )
    unqualified_count = await repository.count_unqualified(session, scope, **filters)
    unqualified, more = await listed(None) if unqualified_count else ([], False)
    thresholds = settings.quadrant_thresholds
    return PortfolioAnalysis(
        total_accounts=sum(q.count for q in quadrants) + unqualified_count,
        quadrants=quadrants,
        unqualified=QuadrantAnalysis(
            quadrant=None,
            count=unqualified_count,
            planned_investment=PlannedTotals(),
            accounts=unqualified,
            more_accounts=more,
        ),
        thresholds=ThresholdsOut.model_validate(thresholds.model_dump()),
    )


async def keep_as_current(
    session: AsyncSession,
    account: Account,
    *,
    expected: ExpectedResult,
    planned: PlannedInvestment,
    quadrant: str,
    high_result: bool,
    high_investment: bool,
    notes: str | None,
    qualified_by: str,
) -> Qualification:
    """Make this the account's current qualification (what investment control plans with and
    the portfolio analysis counts), however it was reached: a qualification on potential
    validated by a district manager lands here too."""
    qualification = await current_qualification(session, account)
    if qualification is None:
        qualification = Qualification(account_id=account.id)
        session.add(qualification)
    qualification.annual_volume_units = expected.annual_volume_units
    qualification.margin_potential_amount = expected.margin_potential.amount
    qualification.margin_potential_currency = expected.margin_potential.currency
    qualification.visits_per_year = planned.visits_per_year
    qualification.hours_per_year = planned.hours_per_year
    qualification.budget_amount = planned.budget.amount
    qualification.budget_currency = planned.budget.currency
    qualification.quadrant = quadrant
    qualification.high_result = high_result
    qualification.high_investment = high_investment
    qualification.notes = notes
    qualification.qualified_by = qualified_by
    qualification.qualified_at = utcnow()
    return qualification
