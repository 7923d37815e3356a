"""Recording milestones, for the projectors of the other domains."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from tread_reporting.projection.registry import Landing
from tread_reporting.projection.writes import Writes
from tread_reporting.timeline.models import Milestone
from tread_shared.money import Money


def change_key(at: Landing) -> str:
    """A milestone name for one change of a state kept as history (compliance, credit): one per
    event, the same on a redelivery or a replay, and in stream order when sorted."""
    return f"changed:{at.stream_seq:012d}"


def record_milestone(
    writes: Writes,
    entity: str,
    entity_id: uuid.UUID,
    milestone: str,
    occurred_at: datetime,
    account_id: uuid.UUID,
    *,
    amount: Money | None = None,
    detail: str | None = None,
) -> None:
    money_amount: Decimal | None = amount.amount if amount else None
    writes.insert_fact(
        Milestone,
        {
            "entity": entity,
            "entity_id": entity_id,
            "milestone": milestone,
            "occurred_at": occurred_at,
            "account_id": account_id,
            "amount": money_amount,
            "currency": amount.currency if amount else None,
            "detail": detail[:500] if detail else None,
        },
    )
