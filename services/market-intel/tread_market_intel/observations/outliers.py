"""A price far from what the field has recently seen for the same product in the same
territory is flagged, never silently averaged: it may be a typo, another unit, or real news.

"Far" is more than ``outlier_tolerance_pct`` from the median of the non-outlier prices of the
``outlier_window_days`` before it, once there are ``outlier_min_observations`` of them. The
median, not the mean, so that one earlier outlier cannot drag the reference."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from decimal import Decimal


def outlier_reason(
    amount: Decimal, recent: Sequence[Decimal], tolerance_pct: Decimal, minimum: int
) -> str | None:
    """Why ``amount`` is an outlier against ``recent`` prices, or ``None`` when it is not."""
    if len(recent) < minimum:
        return None
    median = statistics.median(recent)
    if median <= 0:
        return None
    gap = (amount - median) / median * 100
    if abs(gap) <= tolerance_pct:
        return None
    side = "above" if gap > 0 else "below"
    return (
        f"{abs(gap):.0f} % {side} the median {median} of the {len(recent)} prices seen "
        "recently for this product and territory"
    )
