"""The transactional outbox: an event row written in the same transaction as the change.

**Events held for the last statement.** A unit of work that ends with an INSERT of its own (a
keyed request's answer, :mod:`tread_shared.http.idempotency`) may hold its events
(:func:`hold_events`): :meth:`Outbox.add` then keeps the event's row, and
:func:`insert_with_held_events` writes the rows in that last INSERT's statement on PostgreSQL
(a data-modifying ``WITH``), just before it elsewhere: one round trip a keyed write less
(issue 12). The rows still commit with the change, in one transaction, and their sequence
numbers are still taken after the change's row locks. Held rows belong to the transaction they
were held in: one rolled back leaves nothing to write; whatever commits the session with rows
still held writes them first (a ``before_commit`` listener), so none is lost by a path that
commits otherwise. An event recorded inside a savepoint is written at once (the savepoint may
be rolled back alone), before the session holds any: after held ones it would go before them,
so it is refused (``RuntimeError``); events recorded together (:meth:`Outbox.add_many`) are
written at once after the held ones. A session's events keep their order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, bindparam, event, insert
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from tread_shared.clock import utcnow
from tread_shared.context import correlation_id_var, request_id_var, traceparent_var
from tread_shared.db.engine import OUTBOX_DIRTY
from tread_shared.db.flushing import flush_pending
from tread_shared.db.in_transaction import (
    execute_in,
    hold_new_rows,
    insert_of,
    take_held_new_rows,
)
from tread_shared.db.platform_tables import outbox_events
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.registry import EventPayload
from tread_shared.ids import new_id

# Built once, the row as parameters: ``insert(…).values(**row)`` built a new statement per
# event, its values coerced into bound parameters (a twentieth of a keyed POST's CPU).
_INSERT_ROW = insert(outbox_events)
_ROW_COLUMNS = (
    "event_id",
    "type",
    "nats_subject",
    "entity_id",
    "envelope",
    "headers",
    "state",
    "times_sent",
    "created_at",
)
# One event's row, run on the driver in the session's transaction on PostgreSQL
# (``execute_in``); ``inline``: its sequence number is not read back.
_INSERT_ONE = insert_of(outbox_events, _ROW_COLUMNS)


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
        await flush_pending(session)
        event, row = self._row(payload, subject)
        held = _held(session)
        if held is not None:
            held.append(row)
        else:
            await execute_in(session, _INSERT_ONE, row)
        session.info[OUTBOX_DIRTY] = True
        return event

    async def add_many(
        self, session: AsyncSession, events: Sequence[tuple[EventPayload, str]]
    ) -> None:
        """Record several ``(payload, subject)`` events in one statement, in this order: what
        :meth:`add` does for each, for a change that makes thousands (a catalogue import, a
        consumer batch). What the events share is worked out once (the time, the request's
        context, each type's subject), and each payload is serialised where the row's JSON is
        (the engine's ``json_text``), not dumped to a dict first: this cost of an event's
        envelope halved."""
        if not events:
            return
        await flush_pending(session)
        now = utcnow()
        time = to_jsonable_python(now)
        context = _Context.current()
        types: dict[type[EventPayload], tuple[str, str]] = {}
        rows = []
        for payload, subject in events:
            kind = type(payload)
            named = types.get(kind)
            if named is None:
                event_type = payload.event_type(self.service)
                named = types[kind] = (event_type, nats_subject_for(event_type, self.subject_root))
            event_type, nats_subject = named
            event_id = new_id()
            envelope, headers = context.envelope(str(event_id), self.service, event_type, subject)
            envelope["time"] = time
            envelope["data"] = payload  # serialised with the row, by the engine's json_text
            rows.append(
                {
                    "event_id": event_id,
                    "type": event_type,
                    "nats_subject": nats_subject,
                    "entity_id": subject,
                    "envelope": envelope,
                    "headers": headers,
                    "state": "pending",
                    "times_sent": 0,
                    "created_at": now,
                }
            )
        # Events held before these go first: a session's events keep their order.
        await session.execute(_INSERT_ROW, _take_held(session) + rows)
        session.info[OUTBOX_DIRTY] = True

    def _row(self, payload: EventPayload, subject: str) -> tuple[CloudEvent, dict[str, Any]]:
        envelope, row = self._envelope_row(payload, subject)
        return CloudEvent.model_validate(envelope), row

    def _envelope_row(
        self, payload: EventPayload, subject: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The CloudEvent's JSON and the outbox row, built as plain dicts: the payload is
        serialised once (an envelope model dumped again re-serialised every payload, a fifth
        of a 50,000-product import's time). Keys in CloudEvent's field order."""
        event_type = payload.event_type(self.service)
        event_id = new_id()
        envelope, headers = _Context.current().envelope(
            str(event_id), self.service, event_type, subject
        )
        envelope["time"] = to_jsonable_python(utcnow())
        envelope["data"] = payload.model_dump(mode="json")
        row = {
            "event_id": event_id,
            "type": event_type,
            "nats_subject": nats_subject_for(event_type, self.subject_root),
            "entity_id": subject,
            "envelope": envelope,
            "headers": headers,
            "state": "pending",
            "times_sent": 0,
            "created_at": utcnow(),
        }
        return envelope, row


# Where a session that holds its events keeps them: (the root transaction they belong to, rows).
_HELD = "tread_outbox_held"


def hold_events(session: AsyncSession) -> None:
    """From now on, keep the rows of ``session``'s events, and the new rows its callers allow
    (:func:`tread_shared.db.in_transaction.hold_new_rows`), for its last statement
    (:func:`insert_with_held_events`; see the module's notes)."""
    session.info[_HELD] = (None, [])
    hold_new_rows(session)


def _held(session: AsyncSession | Session) -> list[dict[str, Any]] | None:
    """The rows held for the session's current transaction (a list to add to), or ``None``
    when its events are written at once."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    held = sync.info.get(_HELD)
    if held is None:
        return None
    current = sync.get_transaction()
    if sync.in_nested_transaction():
        if held[1] and held[0] is current:
            # Written at once, this event would go before events recorded earlier.
            raise RuntimeError(
                "an event recorded in a savepoint while earlier events are held for the last "
                "statement: they would be published out of order"
            )
        return None
    if current is None:
        return None  # nothing begun yet: written at once, which begins the transaction
    transaction, rows = held
    if transaction is not current:
        # Rows held for a transaction that has ended (rolled back: they are void) are dropped.
        rows = []
        sync.info[_HELD] = (current, rows)
    held_rows: list[dict[str, Any]] = rows
    return held_rows


def _take_held(session: AsyncSession | Session) -> list[dict[str, Any]]:
    rows = _held(session)
    if not rows:
        return []
    session.info[_HELD] = (None, [])
    return rows


async def insert_with_held_events(
    session: AsyncSession, statement: Any, values: Mapping[str, Any]
) -> int:
    """Run ``statement``, an INSERT, with ``values``, and write the new rows and the events
    held for ``session``'s transaction in the same statement on PostgreSQL (else just before
    it); how many rows ``statement`` inserted."""
    new_rows = take_held_new_rows(session)  # held on PostgreSQL only
    if new_rows:
        values = {
            **values,
            **{f"n{n}_{k}": v for n, (_table, row) in enumerate(new_rows) for k, v in row.items()},
        }
        statement = _with_new_rows(statement, tuple((table, tuple(row)) for table, row in new_rows))
    rows = _take_held(session)
    if rows and isinstance(statement, PostgresInsert):
        values = {
            **values,
            **{f"e{n}_{k}": v for n, row in enumerate(rows) for k, v in row.items()},
        }
        statement = _with_events(statement, len(rows))
    elif rows:
        await session.execute(_INSERT_ROW, rows)
    return await execute_in(session, statement, values)


@lru_cache(maxsize=64)
def _with_new_rows(
    statement: PostgresInsert, rows: tuple[tuple[Table, tuple[str, ...]], ...]
) -> PostgresInsert:
    """``statement`` writing ``rows`` too, each a table and its columns (their values named
    ``n<n>_<column>``), in their order."""
    for n, (table, columns) in enumerate(rows):
        statement = statement.add_cte(insert_of(table, columns, f"n{n}_").cte(f"held_new_{n}"))
    return statement


@lru_cache(maxsize=64)
def _with_events(statement: PostgresInsert, count: int) -> PostgresInsert:
    """``statement`` writing ``count`` outbox rows too (their values named ``e<n>_<column>``)."""
    events = (
        insert(outbox_events)
        .inline()
        .values(
            [
                {
                    name: bindparam(f"e{n}_{name}", type_=outbox_events.c[name].type)
                    for name in _ROW_COLUMNS
                }
                for n in range(count)
            ]
        )
        .cte("held_events")
    )
    return statement.add_cte(events)


@event.listens_for(Session, "before_commit")
def _write_held_events(session: Session) -> None:
    # A session committed with rows still held (by a path other than its last statement's):
    # they are written now, after its changes, in the transaction that commits.
    if session.info.get(_HELD) is None:
        return
    rows = _take_held(session)
    if rows:
        session.flush()
        session.execute(_INSERT_ROW, rows)


class _Context:
    """The request's context as an event carries it (envelope extensions, message headers)."""

    __slots__ = ("correlation_id", "request_id", "traceparent")

    def __init__(
        self, request_id: str | None, correlation_id: str | None, traceparent: str | None
    ) -> None:
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.traceparent = traceparent

    @classmethod
    def current(cls) -> _Context:
        request_id = request_id_var.get()
        return cls(request_id, correlation_id_var.get() or request_id, traceparent_var.get())

    def envelope(
        self, event_id: str, source: str, event_type: str, subject: str
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The envelope's fields but ``time`` and ``data`` (in CloudEvent's field order, where
        they are set next), and the message headers."""
        envelope: dict[str, Any] = {
            "specversion": "1.0",
            "id": event_id,
            "source": source,
            "type": event_type,
            "subject": subject,
            "time": None,
            "datacontenttype": "application/json",
            "data": None,
        }
        if self.correlation_id is not None:
            envelope["correlationid"] = self.correlation_id
        if self.traceparent is not None:
            envelope["traceparent"] = self.traceparent
        headers = {"Nats-Msg-Id": event_id, "Tread-Event-Type": event_type}
        if self.traceparent:
            headers["traceparent"] = self.traceparent
        if self.correlation_id:
            headers["Tread-Correlation-Id"] = self.correlation_id
        if self.request_id:
            headers["Tread-Request-Id"] = self.request_id
        return envelope, headers
