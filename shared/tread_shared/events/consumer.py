"""The durable pull consumer: explicit ack, an inbox table so that an event applied twice has
the effect of once, bounded redelivery with backoff, then the dead-letter subject.

Pulling. The pull loop is ours rather than nats-py's ``fetch``: pull requests carry an idle
heartbeat, and the next request goes out when half of the current one has arrived, so messages
keep flowing while we apply. nats-py reconnects by itself but does not resend a pull request in
flight, so a restarted broker would leave the consumer waiting forever: a broker that shuts
down answers the pull with "409 Server Shutdown", and one that crashed (or a consumer that moved
to another node) goes silent — silence longer than two heartbeats — and either way the pull is
set up again from scratch once the connection is back. In a cluster, a durable whose leader
node died has none for a few seconds (NATS's Raft waits 4-9 s before an election), and
setting the pull up asks it a question nobody answers meanwhile: asked with a short timeout
and again at once, the pull resumes within about a second of the election.

Applying. The messages that have arrived are applied together, in stream order, in one
transaction: one statement records the batch in the inbox (skipping the events it holds
already: those are duplicates), then each handler in turn, one commit, then the acks. Under
load that is one commit per batch instead of one per event; at low rates a batch is a single
event. Event types with a batch handler are applied set-based: the consecutive events of the
batch it takes go to it in one call (a few statements for hundreds of events). If a handler
fails, the transaction is rolled back, that event is retried later, and the others are applied
again without it; if anything else fails (a batch handler, the commit, the database), each
event is applied alone in a transaction of its own. Handlers therefore must not act outside the
session (no HTTP calls): they may run more than once.

Holding. An event delivered and not yet acknowledged is given to another replica after
``consumer_ack_wait_seconds``: that is what a consumer that dies costs (its events come late,
after later ones: see the order rule below). To keep that short without redelivering a batch
that is merely slow, or events still waiting their turn behind it, the consumer sends a progress
acknowledgement (``+WPI``) for every event it has held for a third of the ack wait.

Order. Events come in stream order, except an event redelivered (its consumer died, or it
failed and is retried with a backoff) after events stored after it. So a handler must leave
state as the latest event made it when an older one arrives late: it compares the entity's
version (or the event's stream sequence) with what it holds, and an older event changes nothing
the newer one set (reporting's projections do; see docs/architecture.md).

Failing. An event whose handler fails is redelivered after a backoff
(``consumer_backoff_seconds``) while the following events carry on; at
``consumer_max_deliver`` deliveries it is published to the dead-letter subject
(``<dead_letter_root>.<subject_root>.<durable>``, stream ``<STREAM>_DEADLETTER``) with the error
in its headers, and terminated. A message that is not a CloudEvent, or whose payload does not
validate, can never succeed and goes there at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.clock import utcnow
from tread_shared.context import correlation_id_var, traceparent_var
from tread_shared.db.engine import Database
from tread_shared.db.in_transaction import fetch_rows_in
from tread_shared.db.platform_tables import inbox_events
from tread_shared.db.upsert import insert_on_conflict
from tread_shared.errors import database_is_unavailable
from tread_shared.events.broker import Broker, dead_letter_subject
from tread_shared.events.envelope import CloudEvent
from tread_shared.observability.metrics import (
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
)
from tread_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

# A handler applies one event inside the consumer's transaction; the int is the stream sequence.
Handler = Callable[[AsyncSession, CloudEvent, int], Awaitable[None]]
# A batch handler applies several events of its types at once, in stream order, inside the
# consumer's transaction: (event, stream sequence) pairs.
BatchHandler = Callable[[AsyncSession, Sequence[tuple[CloudEvent, int]]], Awaitable[None]]

MAX_SETUP_DELAY_SECONDS = 5.0
# JetStream's answer about the durable when setting up a pull. A durable without a leader (its
# node died; the election takes seconds) leaves the question unanswered: asked again every
# ~1.2 s, the pull resumes about a second after the election, not nats-py's 5 s timeout later.
SETUP_REQUEST_TIMEOUT_SECONDS = 1.0
# The tokens of a JetStream reply subject without a domain.
V1_ACK_TOKENS = 9


class HeartbeatMissed(Exception):
    """No message and no heartbeat within the expected time: the pull is broken."""


class PullEnded(Exception):
    """The broker ended our pull request for a reason other than its expiry."""


class PoisonEvent(Exception):
    """An event that can never be applied (not a CloudEvent): dead-letter it."""


class _BatchHandlerFailed(Exception):
    """A batch handler raised: which of its events is at fault is unknown, so each event of
    the batch is applied alone."""


class _HandlerFailed(Exception):
    """The handler of the ``index``-th event of a batch raised ``error``."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


@dataclass
class ConsumerSpec:
    """What a consumer listens to and how it applies each event type.

    ``fallback`` applies event types without a handler of their own (``None``: skip them).
    ``batch_handlers`` apply their types set-based: the consecutive events of a batch that one
    batch handler takes (duplicates left out) are given to it in one call, so that it reads and
    writes once for all of them; an event applied alone (a retry) is a batch of one.
    """

    durable: str
    subjects: list[str]
    handlers: dict[str, Handler]
    fallback: Handler | None = None
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)


class _PullRequests:
    """Our pull requests on one inbox: how many messages they still owe us, and another
    request whenever that falls to half a batch."""

    def __init__(self, nc: NatsClient, settings: ServiceSettings, durable: str, inbox: str) -> None:
        self.nc = nc
        self.inbox = inbox
        self.batch = settings.consumer_batch_size
        heartbeat = settings.consumer_heartbeat_seconds
        self.silence_limit = heartbeat * 2 + 1
        self.subject = f"$JS.API.CONSUMER.MSG.NEXT.{settings.nats_stream}.{durable}"
        self.request = json.dumps(
            {
                "batch": self.batch,
                "expires": int(max(heartbeat * 10, 10.0) * 1e9),
                "idle_heartbeat": int(heartbeat * 1e9),
            }
        ).encode()
        self.owed = 0

    async def top_up(self) -> None:
        if self.owed <= self.batch // 2:
            await self.nc.publish(self.subject, self.request, reply=self.inbox)
            self.owed += self.batch

    def sort(self, messages: list[Msg]) -> tuple[list[Msg], str]:
        """The deliveries among ``messages``, and why the pull ended ("" if it did not)."""
        deliveries: list[Msg] = []
        ended = ""
        for msg in messages:
            status = JetStreamContext.is_status_msg(msg)
            if status is None:
                deliveries.append(msg)
                self.owed -= 1
            elif status in ("404", "408"):
                # A request expired; what it still owed will not come.
                unfilled = (msg.headers or {}).get("Nats-Pending-Messages")
                self.owed = max(self.owed - (int(unfilled) if unfilled else self.batch), 0)
            elif status != "100":  # 100: an idle heartbeat
                description = (msg.headers or {}).get("Description", "")
                ended = f"pull ended with status {status} {description}"
        return deliveries, ended


@dataclass
class _Delivery:
    msg: Msg
    event: CloudEvent
    stream_seq: int


class EventConsumer:
    """Runs one durable consumer for one service; several replicas share the durable."""

    def __init__(
        self, spec: ConsumerSpec, db: Database, broker: Broker, settings: ServiceSettings
    ) -> None:
        self.spec = spec
        self.db = db
        self.broker = broker
        self.settings = settings
        self.service = settings.service_name
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.heartbeats_missed = 0
        self.pulls_ended = 0
        self.last_stream_seq = 0
        self.progress_acks = 0
        # Delivered, not yet acknowledged, by id (a Msg is not hashable): the message, and when
        # it was delivered or last kept alive.
        self._held: dict[int, tuple[Msg, float]] = {}
        self._consumed: dict[str, Any] = {}  # EVENTS_CONSUMED's child by event type

    @property
    def durable(self) -> str:
        return self.spec.durable

    def consumer_config(self) -> ConsumerConfig:
        subjects = [f"{self.settings.nats_subject_root}.{s}" for s in self.spec.subjects]
        return ConsumerConfig(
            durable_name=self.spec.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=self.spec.deliver_policy,
            ack_wait=self.settings.consumer_ack_wait_seconds,
            # No bound on the server: ours dead-letters failing events, and events that failed
            # only because the database was unreachable are retried until it is back.
            max_deliver=-1,
            max_ack_pending=10_000,
            filter_subjects=subjects if len(subjects) > 1 else None,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
        )

    async def ensure(self, js: JetStreamContext) -> None:
        """Create the durable consumer unless it exists; give an existing one the ack wait of
        the settings (the one setting here an operator changes)."""
        stream = self.settings.nats_stream
        config = self.consumer_config()
        durable, timeout = self.spec.durable, SETUP_REQUEST_TIMEOUT_SECONDS
        try:
            info = await js.consumer_info(stream, durable, timeout=timeout)
        except NotFoundError:
            await js.add_consumer(stream, config)
            return
        if info.config.ack_wait != config.ack_wait:
            await js.add_consumer(stream, config)  # create-or-update: the same durable, changed

    async def _keep_alive(self) -> None:
        """Progress acknowledgements for the events held a third of the ack wait, so that a
        slow batch (or the events queued behind it) is not redelivered while it is applied."""
        period = self.settings.consumer_ack_wait_seconds / 3
        while True:
            await asyncio.sleep(period / 2)
            stale = time.monotonic() - period
            for key, (msg, since) in list(self._held.items()):
                if since > stale or key not in self._held:
                    continue  # fresh, or acknowledged while we were sending the others
                try:
                    await msg.in_progress()
                except Exception as exc:  # noqa: BLE001 - the pull loop sees a broken connection
                    log.debug("consumer %s: progress ack not sent: %s", self.durable, exc)
                    continue
                self.progress_acks += 1
                if key in self._held:
                    self._held[key] = (msg, time.monotonic())

    def _release(self, msg: Msg) -> None:
        self._held.pop(id(msg), None)

    async def run(self) -> None:
        """Pull and apply events until cancelled; broker trouble sets the pull up again."""
        js = await self.broker.wait_ready()
        delay = 0.2
        while True:
            try:
                await self.ensure(js)
                await self._pull_loop()
            except asyncio.CancelledError:
                raise
            except HeartbeatMissed as exc:
                # Usually the broker restarted: pull again as soon as it is back.
                self.heartbeats_missed += 1
                log.warning("consumer %s: %s; pulling again", self.durable, exc)
                await self.broker.wait_connected(within=MAX_SETUP_DELAY_SECONDS)
            except PullEnded as exc:
                # "409 Server Shutdown", "Leadership Change", "Consumer Deleted"...
                self.pulls_ended += 1
                log.warning("consumer %s: %s; pulling again", self.durable, exc)
                await self.broker.wait_to_retry(0.2)
            except nats.errors.TimeoutError as exc:
                # Connected, and JetStream did not answer: the durable is likely between two
                # leaders. Ask again soon rather than after a growing delay.
                log.warning("consumer %s: %s; asking again", self.durable, exc)
                await self.broker.wait_to_retry(0.2)
            except Exception as exc:  # noqa: BLE001 - broker trouble: set the pull up again
                log.warning("consumer %s: %s; resuming within %.1fs", self.durable, exc, delay)
                came_back = await self.broker.wait_to_retry(delay)
                delay = 0.2 if came_back else min(delay * 2, MAX_SETUP_DELAY_SECONDS)

    async def _pull_loop(self) -> None:
        nc = self.broker.nc
        assert nc is not None
        arrived: asyncio.Queue[Msg] = asyncio.Queue()

        async def receive(msg: Msg) -> None:
            if JetStreamContext.is_status_msg(msg) is None:
                self._held[id(msg)] = (msg, time.monotonic())
            arrived.put_nowait(msg)

        sub = await nc.subscribe(nc.new_inbox(), cb=receive)
        pulls = _PullRequests(nc, self.settings, self.durable, sub.subject)
        keep_alive = asyncio.create_task(self._keep_alive())
        try:
            while True:
                await pulls.top_up()
                try:
                    first = await asyncio.wait_for(arrived.get(), timeout=pulls.silence_limit)
                except TimeoutError as exc:
                    raise HeartbeatMissed(
                        f"nothing from the broker in {pulls.silence_limit:.1f}s"
                    ) from exc
                messages = [first]
                while len(messages) < pulls.batch and not arrived.empty():
                    messages.append(arrived.get_nowait())
                deliveries, ended = pulls.sort(messages)
                if not ended:
                    await pulls.top_up()  # before applying: the next messages arrive meanwhile
                # Messages that came before the end of the pull are applied, not dropped: a
                # dropped one would come back only after ack_wait, behind later events.
                if deliveries:
                    await self.handle_batch(deliveries)
                if ended:
                    raise PullEnded(ended)
        finally:
            keep_alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keep_alive
            # What was not acknowledged comes back after the ack wait, to this pull or another.
            self._held.clear()
            # The connection may be gone already.
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def handle_batch(self, messages: list[Msg]) -> None:
        """Apply deliveries in stream order, once each in effect; retry or dead-letter those
        that fail, acknowledge the others."""
        deliveries: list[_Delivery] = []
        for msg in messages:
            try:
                event = _parse(msg.data)
            except PoisonEvent as exc:
                EVENTS_FAILED.labels(self.service, self.durable).inc()
                await self._dead_letter(msg, exc)
                continue
            deliveries.append(_Delivery(msg, event, _stream_seq(msg)))
        while deliveries:
            try:
                applied = await self._apply_together(deliveries)
            except _HandlerFailed as failure:
                # Rolled back: apply the others again without the failing one.
                failed = deliveries.pop(failure.index)
                EVENTS_FAILED.labels(self.service, self.durable).inc()
                await self._retry_or_dead_letter(failed, failure.error)
                continue
            except Exception:  # noqa: BLE001 - not a handler: find out applying each alone
                for delivery in deliveries:
                    await self.handle(delivery)
                return
            for delivery, effective in zip(deliveries, applied, strict=True):
                await self._acknowledge(delivery, effective)
            return

    async def handle(self, delivery: _Delivery) -> None:
        """Apply one delivery in a transaction of its own; retry or dead-letter on failure."""
        try:
            applied = await self._apply_alone(delivery)
        except Exception as exc:  # noqa: BLE001 - every failure is retried or dead-lettered
            EVENTS_FAILED.labels(self.service, self.durable).inc()
            await self._retry_or_dead_letter(delivery, exc)
            return
        await self._acknowledge(delivery, applied)

    async def _apply_together(self, deliveries: list[_Delivery]) -> list[bool]:
        """Apply a batch in one transaction; for each delivery, whether it took effect (or
        was a duplicate)."""
        applied: list[bool] = []
        async with self.db.unit_of_work() as session:
            fresh = await self._record_in_inbox(session, deliveries)
            run: list[_Delivery] = []  # consecutive events for one batch handler
            for index, delivery in enumerate(deliveries):
                effective = delivery.event.id in fresh
                applied.append(effective)
                if not effective:
                    continue
                fresh.discard(delivery.event.id)  # a second copy in this batch is a duplicate
                batch_handler = self.spec.batch_handlers.get(delivery.event.type)
                if run and batch_handler is not self.spec.batch_handlers[run[0].event.type]:
                    await self._call_batch_handler(session, run)
                    run = []
                if batch_handler is not None:
                    run.append(delivery)
                    continue
                try:
                    await self._call_handler(session, delivery)
                except Exception as exc:
                    raise _HandlerFailed(index, exc) from exc
            if run:
                await self._call_batch_handler(session, run)
        return applied

    async def _apply_alone(self, delivery: _Delivery) -> bool:
        async with self.db.unit_of_work() as session:
            if not await self._record_in_inbox(session, [delivery]):
                return False
            await self._call_handler(session, delivery)
        return True

    async def _record_in_inbox(
        self, session: AsyncSession, deliveries: list[_Delivery]
    ) -> set[str]:
        """Insert the deliveries' inbox rows in one statement, skipping events the inbox holds
        already; the ids inserted, i.e. the events to apply. A replica inserting the same id at
        the same moment makes PostgreSQL wait for its commit, then skip the row."""
        rows = {d.event.id: self._inbox_row(d) for d in reversed(deliveries)}  # first copy kept
        # One statement built once whatever the batch size, run on the driver on PostgreSQL
        # (through the session it cost ~130 us of CPU more, a live event's largest share).
        inserted = await fetch_rows_in(
            session, _record_in_inbox(self.db.engine.dialect.name), list(rows.values())
        )
        return {row.event_id for row in inserted}

    async def _call_batch_handler(self, session: AsyncSession, run: list[_Delivery]) -> None:
        handler = self.spec.batch_handlers[run[0].event.type]
        # The events the batch writes carry the trace of its first event.
        corr_token = correlation_id_var.set(run[0].event.correlationid)
        trace_token = traceparent_var.set(run[0].event.traceparent)
        try:
            await handler(session, [(d.event, d.stream_seq) for d in run])
        except Exception as exc:
            raise _BatchHandlerFailed(str(exc)) from exc
        finally:
            correlation_id_var.reset(corr_token)
            traceparent_var.reset(trace_token)

    async def _call_handler(self, session: AsyncSession, delivery: _Delivery) -> None:
        event = delivery.event
        if event.type in self.spec.batch_handlers:
            try:
                await self._call_batch_handler(session, [delivery])
            except _BatchHandlerFailed as failed:
                # Alone, the event at fault is known: retried or dead-lettered for its error.
                raise failed.__cause__ or failed from None
            return
        handler = self.spec.handlers.get(event.type, self.spec.fallback)
        if handler is None:
            return
        corr_token = correlation_id_var.set(event.correlationid)
        trace_token = traceparent_var.set(event.traceparent)
        try:
            await handler(session, event, delivery.stream_seq)
        finally:
            correlation_id_var.reset(corr_token)
            traceparent_var.reset(trace_token)

    def _inbox_row(self, delivery: _Delivery) -> dict[str, Any]:
        return {
            "consumer": self.durable,
            "event_id": delivery.event.id,
            "type": delivery.event.type,
            "stream_seq": delivery.stream_seq,
            "applied_at": utcnow(),
        }

    async def _acknowledge(self, delivery: _Delivery, applied: bool) -> None:
        self._release(delivery.msg)
        await delivery.msg.ack()
        self.last_stream_seq = max(self.last_stream_seq, delivery.stream_seq)
        if applied:
            self.applied += 1
            consumed = self._consumed.get(delivery.event.type)
            if consumed is None:  # looking a labelled child up costs more than counting
                consumed = EVENTS_CONSUMED.labels(self.service, self.durable, delivery.event.type)
                self._consumed[delivery.event.type] = consumed
            consumed.inc()
        else:
            self.duplicates += 1
            EVENTS_DUPLICATE.labels(self.service, self.durable).inc()

    async def _retry_or_dead_letter(self, delivery: _Delivery, exc: Exception) -> None:
        deliveries = delivery.msg.metadata.num_delivered
        # A payload that does not validate will not validate next time either.
        hopeless = isinstance(exc, ValidationError)
        if hopeless or (
            deliveries >= self.settings.consumer_max_deliver and not _is_unreachable(exc)
        ):
            await self._dead_letter(delivery.msg, exc)
            return
        backoff = self.settings.consumer_backoff_seconds
        delay = backoff[min(deliveries - 1, len(backoff) - 1)] if backoff else 1.0
        log.warning(
            "consumer %s: delivery %d of stream seq %d failed (%s); retry in %.2fs",
            self.durable,
            deliveries,
            delivery.stream_seq,
            exc,
            delay,
        )
        self._release(delivery.msg)
        await delivery.msg.nak(delay=delay)

    async def _dead_letter(self, msg: Msg, exc: BaseException) -> None:
        """Publish the message to the dead-letter subject with the error, then terminate it."""
        js = self.broker.js
        assert js is not None
        meta = msg.metadata
        headers = {
            # Publishing it again after a failure here does not store it twice.
            "Nats-Msg-Id": f"{self.durable}:{meta.stream}:{meta.sequence.stream}",
            "Tread-Consumer": self.durable,
            "Tread-Original-Subject": msg.subject,
            "Tread-Stream-Sequence": str(meta.sequence.stream),
            "Tread-Deliveries": str(meta.num_delivered),
            "Tread-Error": f"{type(exc).__name__}: {exc}"[:2000],
        }
        await js.publish(
            dead_letter_subject(self.settings, self.durable), msg.data, headers=headers
        )
        self._release(msg)
        await msg.term()
        self.dead_lettered += 1
        EVENTS_DEAD_LETTERED.labels(self.service, self.durable).inc()
        log.error(
            "consumer %s: stream seq %d dead-lettered after %d deliveries: %s",
            self.durable,
            meta.sequence.stream,
            meta.num_delivered,
            exc,
        )


@cache
def _record_in_inbox(dialect: str) -> Any:
    """The inbox rows' INSERT, built once: built per batch, the statement and its cache key
    (to find the compiled form) cost 14 us a batch; reused, the key is memoized."""
    return (
        insert_on_conflict(dialect, inbox_events)
        .on_conflict_do_nothing()
        .returning(inbox_events.c.event_id)
    )


def _is_unreachable(exc: BaseException) -> bool:
    """The database could not be reached: not the event's fault, so never dead-lettered."""
    return database_is_unavailable(exc) or isinstance(exc, OSError)


def _stream_seq(msg: Msg) -> int:
    """The message's stream sequence, read from its reply subject
    (``$JS.ACK.<stream>.<durable>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>``):
    nats-py's ``Msg.metadata`` parses every field and builds a datetime, a twentieth of what the
    platform spends on an event. Other forms of the subject (with a domain) go to nats-py."""
    tokens = msg.reply.split(".")
    if len(tokens) == V1_ACK_TOKENS:
        return int(tokens[5])
    return msg.metadata.sequence.stream


def _parse(data: bytes) -> CloudEvent:
    # Straight from the bytes: a third of the time of json.loads and validating the dict.
    try:
        return CloudEvent.model_validate_json(data)
    except ValidationError as exc:  # not JSON at all is a ValidationError too
        raise PoisonEvent(f"not a CloudEvent: {exc}") from exc


def subjects_of(services: Iterable[str]) -> list[str]:
    """Consumer filter subjects for every event of the given producing services."""
    return [f"{service}.>" for service in services]
