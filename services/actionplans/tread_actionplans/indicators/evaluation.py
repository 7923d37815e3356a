"""A period's status from its actual and target: how far short of the target it is, against
the indicator's thresholds. Short is below the target when higher is better, above it when
lower is better; exactly on target (or better) is green whatever the thresholds."""

from __future__ import annotations

from decimal import Decimal

from tread_actionplans.indicators.facts import IndicatorRules
from tread_actionplans.indicators.models import Indicator


def shortfall(indicator: IndicatorRules, actual: Decimal, target: Decimal) -> Decimal:
    """How far short, in the thresholds' terms (percent of the target, or the unit)."""
    short = target - actual if indicator.direction == "higher_is_better" else actual - target
    if indicator.threshold_mode == "absolute" or short <= 0:
        return short
    if target == 0:
        return indicator.critical
    return short / abs(target) * 100


def period_status(indicator: IndicatorRules, actual: Decimal, target: Decimal | None) -> str | None:
    if target is None:
        return None
    short = shortfall(indicator, actual, target)
    if short <= 0:
        return "green"
    if short >= indicator.critical:
        return "red"
    if short >= indicator.warning:
        return "amber"
    return "green"


def target_of(indicator: IndicatorRules, period: str) -> Decimal | None:
    target = indicator.targets.get(period)
    return None if target is None else Decimal(str(target))


def forecast_of(indicator: Indicator, period: str) -> Decimal | None:
    value = (indicator.forecast or {}).get(period)
    return None if value is None else Decimal(str(value))
