"""The transactional outbox: an event row written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.clock import utcnow
from tread_shared.context import correlation_id_var, request_id_var, traceparent_var
from tread_shared.db.engine import OUTBOX_DIRTY
from tread_shared.db.platform_tables import outbox_events
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.registry import EventPayload


class Outbox:
    """Writes a service's events into its outbox table, inside the caller's transaction."""

    def __init__(self, service: str, subject_root: str = "tread") -> None:
        self.service = service
        self.subject_root = subject_root

    async def add(
        self, session: AsyncSession, payload: EventPayload, *, subject: str
    ) -> CloudEvent:
        """Record ``payload`` about entity ``subject``; it is published once the session commits.

        Pending ORM changes are flushed first, so the entity's row lock is taken before the
        event's sequence number: two changes of one entity get outbox rows in commit order.
        """
        await session.flush()
        event, row = self._row(payload, subject)
        await session.execute(insert(outbox_events).values(**row))
        session.info[OUTBOX_DIRTY] = True
        return event

    async def add_many(
        self, session: AsyncSession, events: Sequence[tuple[EventPayload, str]]
    ) -> None:
        """Record several ``(payload, subject)`` events in one statement, in this order: what
        :meth:`add` does for each, for a change that makes thousands (a catalogue import)."""
        if not events:
            return
        await session.flush()
        rows = [self._row(payload, subject)[1] for payload, subject in events]
        await session.execute(insert(outbox_events), rows)
        session.info[OUTBOX_DIRTY] = True

    def _row(self, payload: EventPayload, subject: str) -> tuple[CloudEvent, dict[str, Any]]:
        event_type = payload.event_type(self.service)
        request_id = request_id_var.get()
        correlation_id = correlation_id_var.get() or request_id
        event = CloudEvent(
            source=self.service,
            type=event_type,
            subject=subject,
            data=payload.model_dump(mode="json"),
            correlationid=correlation_id,
            traceparent=traceparent_var.get(),
        )
        headers = {"Nats-Msg-Id": event.id, "Tread-Event-Type": event_type}
        if event.traceparent:
            headers["traceparent"] = event.traceparent
        if correlation_id:
            headers["Tread-Correlation-Id"] = correlation_id
        if request_id:
            headers["Tread-Request-Id"] = request_id
        row = {
            "event_id": event.event_uuid,
            "type": event_type,
            "nats_subject": nats_subject_for(event_type, self.subject_root),
            "entity_id": subject,
            "envelope": event.model_dump(mode="json", exclude_none=True),
            "headers": headers,
            "state": "pending",
            "times_sent": 0,
            "created_at": utcnow(),
        }
        return event, row
