"""The portfolio report: figures per owner or territory, and their total."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.freshness.service import ReadView
from tread_reporting.portfolio import repository
from tread_reporting.portfolio.repository import PortfolioScope
from tread_reporting.portfolio.schemas import (
    Coverage,
    Investment,
    InvestmentControl,
    PortfolioGroup,
    PortfolioOut,
)
from tread_shared.money import Money, SignedMoney

MINUTES_PER_HOUR = Decimal(60)
CENT = Decimal("0.01")


@dataclass
class _Figures:
    by_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_quadrant: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    planned_visits: int = 0
    planned_hours: int = 0
    planned_budget: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    visits: int = 0
    minutes: int = 0
    cost: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    active_by_tier: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    with_active_contract: int = 0

    def add(self, other: _Figures) -> None:
        for counts, more in (
            (self.by_status, other.by_status),
            (self.by_quadrant, other.by_quadrant),
            (self.active_by_tier, other.active_by_tier),
        ):
            for key, count in more.items():
                counts[key] += count
        for amounts, more_amounts in (
            (self.planned_budget, other.planned_budget),
            (self.cost, other.cost),
        ):
            for currency, amount in more_amounts.items():
                amounts[currency] += amount
        self.planned_visits += other.planned_visits
        self.planned_hours += other.planned_hours
        self.visits += other.visits
        self.minutes += other.minutes
        self.with_active_contract += other.with_active_contract

    def group(self, key: str, year_share: Decimal) -> PortfolioGroup:
        hours = (Decimal(self.minutes) / MINUTES_PER_HOUR).quantize(Decimal("0.1"))
        visits_due = int((self.planned_visits * year_share).to_integral_value(ROUND_HALF_UP))
        hours_due = (self.planned_hours * year_share).quantize(Decimal("0.1"), ROUND_HALF_UP)
        budget_due = {
            currency: (amount * year_share).quantize(CENT, ROUND_HALF_UP)
            for currency, amount in self.planned_budget.items()
        }
        budget_deviation = {
            currency: self.cost.get(currency, Decimal(0)) - budget_due.get(currency, Decimal(0))
            for currency in {*budget_due, *self.cost}
        }
        customers = sum(n for status, n in self.by_status.items() if status != "closed")
        share = Decimal(self.with_active_contract) / customers if customers else Decimal(0)
        return PortfolioGroup(
            key=key,
            accounts=sum(self.by_status.values()),
            by_status=dict(sorted(self.by_status.items())),
            by_quadrant=dict(sorted(self.by_quadrant.items())),
            investment=InvestmentControl(
                planned=Investment(
                    visits=self.planned_visits,
                    hours=Decimal(self.planned_hours),
                    budget=_money(self.planned_budget),
                ),
                share_of_year=year_share,
                planned_to_date=Investment(
                    visits=visits_due, hours=hours_due, budget=_money(budget_due)
                ),
                spent=Investment(visits=self.visits, hours=hours, budget=_money(self.cost)),
                visits_deviation=self.visits - visits_due,
                hours_deviation=hours - hours_due,
                budget_deviation=[
                    SignedMoney.of(budget_deviation[c], c) for c in sorted(budget_deviation)
                ],
            ),
            coverage=Coverage(
                customers=customers,
                with_active_contract=self.with_active_contract,
                share=share.quantize(Decimal("0.01")),
                by_tier=dict(sorted(self.active_by_tier.items())),
            ),
        )


def _money(amounts: dict[str, Decimal]) -> list[Money]:
    return [Money.of(amounts[c], c) for c in sorted(amounts)]


def share_of_year(year: int, today: date) -> Decimal:
    """How much of ``year`` has passed by the end of ``today``: 1 for a past year, 0 for a
    future one."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if today >= last:
        return Decimal(1)
    if today < first:
        return Decimal(0)
    elapsed = Decimal((today - first).days + 1) / ((last - first).days + 1)
    return elapsed.quantize(Decimal("0.0001"), ROUND_HALF_UP)


async def portfolio(
    session: AsyncSession, scope: PortfolioScope, view: ReadView, year: int, now: datetime
) -> PortfolioOut:
    share = share_of_year(year, now.date())
    groups: dict[str, _Figures] = defaultdict(_Figures)
    for key, status, quadrant, count in await repository.account_counts(session, scope):
        groups[key].by_status[status] += count
        groups[key].by_quadrant[quadrant] += count
    for key, visits, hours, currency, budget in await repository.planned(session, scope):
        groups[key].planned_visits += int(visits or 0)
        groups[key].planned_hours += int(hours or 0)
        groups[key].planned_budget[currency] += budget
    for key, visits, minutes, currency, cost in await repository.spent(session, scope, year, now):
        groups[key].visits += int(visits or 0)
        groups[key].minutes += int(minutes or 0)
        if currency:
            groups[key].cost[currency] += cost
    for key, tier, count in await repository.active_contracts(session, scope):
        groups[key].active_by_tier[tier] += count
    for key, count in await repository.customers_with_active_contract(session, scope):
        groups[key].with_active_contract = count
    everything = _Figures()
    for figures in groups.values():
        everything.add(figures)
    return PortfolioOut(
        group_by=scope.group_by,
        year=year,
        groups=[groups[key].group(key, share) for key in sorted(groups)],
        total=everything.group("all", share),
        as_of=view.as_of,
    )
