"""The quadrant rule. Two questions, each answered against configurable thresholds
(``ACCOUNTS_QUADRANT_THRESHOLDS``, see :class:`~tread_accounts.settings.QuadrantThresholds`):

- **Is the expected result high?** Yes when the annual volume reaches its threshold *or* the
  margin potential reaches the threshold of its currency: either alone makes the account worth it.
- **Is the planned investment high?** Yes when the planned visits, hours *or* budget reach their
  threshold: any one of them alone makes the account expensive to serve.

|                     | low investment | high investment |
|---------------------|----------------|-----------------|
| **high result**     | ``maintain``   | ``develop``     |
| **low result**      | ``optimise``   | ``reduce``      |

- ``develop``: worth the effort: invest to grow it.
- ``maintain``: pays well for little: keep the relationship as it is.
- ``optimise``: little of both: serve it efficiently (calls, e-mail, distributor).
- ``reduce``: costs more than it brings: cut the investment or change how it is served."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from tread_accounts.settings import QuadrantThresholds
from tread_shared.money import Money

Quadrant = Literal["develop", "maintain", "optimise", "reduce"]
QUADRANTS: tuple[Quadrant, ...] = ("develop", "maintain", "optimise", "reduce")


class MissingThreshold(ValueError):
    """No threshold is configured for this currency."""

    def __init__(self, what: str, currency: str) -> None:
        super().__init__(f"no {what} threshold is configured for {currency}")
        self.currency = currency


@dataclass(frozen=True)
class Assessment:
    quadrant: Quadrant
    high_result: bool
    high_investment: bool


def _threshold(table: dict[str, Decimal], what: str, money: Money) -> Decimal:
    if money.currency not in table:
        raise MissingThreshold(what, money.currency)
    return table[money.currency]


def assess(
    *,
    annual_volume_units: int,
    margin_potential: Money,
    visits_per_year: int,
    hours_per_year: int,
    budget: Money,
    thresholds: QuadrantThresholds,
) -> Assessment:
    """The quadrant of an account from its expected result and planned investment."""
    margin_threshold = _threshold(thresholds.margin_potential, "margin potential", margin_potential)
    budget_threshold = _threshold(thresholds.budget, "budget", budget)
    high_result = (
        annual_volume_units >= thresholds.annual_volume_units
        or margin_potential.amount >= margin_threshold
    )
    high_investment = (
        visits_per_year >= thresholds.visits_per_year
        or hours_per_year >= thresholds.hours_per_year
        or budget.amount >= budget_threshold
    )
    if high_result:
        quadrant: Quadrant = "develop" if high_investment else "maintain"
    else:
        quadrant = "reduce" if high_investment else "optimise"
    return Assessment(quadrant, high_result, high_investment)
