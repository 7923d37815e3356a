"""The order rule of decision items, one for every kind.

A decision item stands for one step of its resource: an offer's revision put to a district
manager, a facilitation requested, a plan submitted, a resource request made, an argument
submitted, a case assigned. Every event of such a resource is a step, ordered by the version of
the resource it carries (an argument keeps its text version through a submission and its
decision: its steps are then ordered by their time). The inbox keeps, per resource, the latest
step it applied (``decision_progress``) and compares each event with it:

- a newer step closes every item of the resource still open (the decision was taken, or a new
  revision or assignment replaces what waited), then opens its own item if it asks for one;
- a step not newer (an event redelivered after later ones, or published again) closes nothing,
  and a request among them is recorded as an item already done, by whoever took the latest
  step and when, without mail: it was decided or replaced before the inbox heard of it.

So a redelivered older event never closes or reopens a newer item, and a decision arriving
before its request leaves nothing waiting. A resource's progress is forgotten once nothing of it
waits and it was applied longer ago than the consumer remembers events (``items/retention.py``):
an older event can no longer arrive then, and a newer one is newer than nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.items import repository
from tread_inbox.items.models import DecisionProgress
from tread_inbox.items.service import ItemDraft, close_decisions, record_item
from tread_shared.clock import utcnow


@dataclass(frozen=True)
class Step:
    """One event in the life of a resource that waits for decisions: its version and time, who
    took it, and the item it opens (``None``: it decides, or asks nobody)."""

    resource_type: str
    resource_id: uuid.UUID
    kind: str
    version: int
    at: datetime
    by: str
    opens: ItemDraft | None = None


async def apply_step(session: AsyncSession, step: Step, public_url: str) -> None:
    """Apply ``step`` by the order rule of the module's docstring."""
    latest = await repository.decision_progress(session, step.resource_type, str(step.resource_id))
    if latest is not None and (latest.version, latest.stepped_at) >= (step.version, step.at):
        if step.opens is not None and (latest.version, latest.stepped_at) > (step.version, step.at):
            decided = (latest.stepped_by, latest.stepped_at)
            await record_item(session, step.opens, public_url, decided=decided)
        return
    await close_decisions(
        session, step.resource_type, step.resource_id, (step.kind,), by=step.by, at=step.at
    )
    if latest is None:
        latest = DecisionProgress(
            resource_type=step.resource_type, resource_id=str(step.resource_id)
        )
        session.add(latest)
    latest.version, latest.stepped_at, latest.stepped_by = step.version, step.at, step.by
    latest.applied_at = utcnow()
    if step.opens is not None:
        await record_item(session, step.opens, public_url)
