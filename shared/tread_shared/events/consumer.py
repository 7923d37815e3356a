"""The durable pull consumer: explicit ack, an inbox table so that an event applied twice has
the effect of once, bounded redelivery with backoff, then the dead-letter subject.

The pull loop is ours rather than nats-py's ``fetch``: one pull request at a time with an idle
heartbeat, messages handled as they arrive, and a missed heartbeat (broker restarted, connection
swapped) treated as a broken pull that is set up again from scratch."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.clock import utcnow
from tread_shared.context import correlation_id_var, traceparent_var
from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import inbox_events
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


class HeartbeatMissed(Exception):
    """No message and no heartbeat within the expected time: the pull is broken."""


class PoisonEvent(Exception):
    """An event that can never be applied (not a CloudEvent, wrong payload): dead-letter it."""


@dataclass
class ConsumerSpec:
    """What a consumer listens to and how it applies each event type.

    ``fallback`` applies event types without a handler of their own (``None``: skip them).
    """

    durable: str
    subjects: list[str]
    handlers: dict[str, Handler]
    fallback: Handler | None = None
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL


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
        self.last_stream_seq = 0

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
            # The server's bound is a safety net above ours: we dead-letter at our bound.
            max_deliver=self.settings.consumer_max_deliver + 2,
            max_ack_pending=10_000,
            filter_subjects=subjects if len(subjects) > 1 else None,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
        )

    async def ensure(self, js: JetStreamContext) -> None:
        stream = self.settings.nats_stream
        try:
            await js.consumer_info(stream, self.spec.durable)
        except NotFoundError:
            await js.add_consumer(stream, self.consumer_config())

    async def run(self) -> None:
        js = await self.broker.wait_ready()
        delay = 0.2
        while True:
            try:
                await self.ensure(js)
                await self._pull_loop(js)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker trouble: set the pull up again
                log.warning("consumer %s: %s; resuming in %.1fs", self.durable, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                delay = 0.2

    async def _pull_loop(self, js: JetStreamContext) -> None:
        nc = self.broker.nc
        assert nc is not None
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox, pending_msgs_limit=100_000)
        batch = self.settings.consumer_batch_size
        heartbeat = self.settings.consumer_heartbeat_seconds
        expires = max(heartbeat * 10, 10.0)
        request = json.dumps(
            {
                "batch": batch,
                "expires": int(expires * 1e9),
                "idle_heartbeat": int(heartbeat * 1e9),
            }
        ).encode()
        pull_subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.settings.nats_stream}.{self.durable}"
        try:
            while True:
                await nc.publish(pull_subject, request, reply=inbox)
                received = 0
                while received < batch:
                    try:
                        msg = await sub.next_msg(timeout=heartbeat * 2 + 1)
                    except TimeoutError as exc:
                        raise HeartbeatMissed(f"no heartbeat in {heartbeat * 2 + 1:.1f}s") from exc
                    status = JetStreamContext.is_status_msg(msg)
                    if status == "100":
                        continue
                    if status in ("404", "408"):
                        break
                    if status is not None:
                        description = (msg.headers or {}).get("Description", "")
                        raise RuntimeError(f"pull ended with status {status} {description}")
                    received += 1
                    await self.handle(msg)
        finally:
            # The connection may be gone already.
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def handle(self, msg: Msg) -> None:
        """Apply one delivery: once in effect, retried with backoff, dead-lettered at the bound."""
        meta = msg.metadata
        deliveries = meta.num_delivered
        stream_seq = meta.sequence.stream
        try:
            event = _parse(msg.data)
            applied = await self._apply(event, stream_seq)
        except Exception as exc:  # noqa: BLE001 - every failure is retried or dead-lettered
            EVENTS_FAILED.labels(self.service, self.durable).inc()
            poison = isinstance(exc, PoisonEvent)
            if poison or deliveries >= self.settings.consumer_max_deliver:
                await self._dead_letter(msg, exc, deliveries)
                await msg.term()
                return
            backoff = self.settings.consumer_backoff_seconds
            delay = backoff[min(deliveries - 1, len(backoff) - 1)] if backoff else 1.0
            log.warning(
                "consumer %s: delivery %d of stream seq %d failed (%s); retry in %.1fs",
                self.durable,
                deliveries,
                stream_seq,
                exc,
                delay,
            )
            await msg.nak(delay=delay)
            return
        self.last_stream_seq = max(self.last_stream_seq, stream_seq)
        if applied:
            self.applied += 1
            EVENTS_CONSUMED.labels(self.service, self.durable, event.type).inc()
        else:
            EVENTS_DUPLICATE.labels(self.service, self.durable).inc()
        await msg.ack()

    async def _apply(self, event: CloudEvent, stream_seq: int) -> bool:
        handler = self.spec.handlers.get(event.type, self.spec.fallback)
        corr_token = correlation_id_var.set(event.correlationid)
        trace_token = traceparent_var.set(event.traceparent)
        try:
            async with self.db.unit_of_work() as session:
                seen = await session.scalar(
                    select(inbox_events.c.event_id).where(
                        inbox_events.c.consumer == self.durable,
                        inbox_events.c.event_id == event.id,
                    )
                )
                if seen is not None:
                    return False
                await session.execute(
                    insert(inbox_events).values(
                        consumer=self.durable,
                        event_id=event.id,
                        type=event.type,
                        stream_seq=stream_seq,
                        applied_at=utcnow(),
                    )
                )
                if handler is not None:
                    await handler(session, event, stream_seq)
        except IntegrityError:
            # Another replica applied the same event at the same moment: once in effect.
            return False
        finally:
            correlation_id_var.reset(corr_token)
            traceparent_var.reset(trace_token)
        return True

    async def _dead_letter(self, msg: Msg, exc: BaseException, deliveries: int) -> None:
        nc = self.broker.nc
        assert nc is not None and self.broker.js is not None
        headers = {
            "Tread-Consumer": self.durable,
            "Tread-Original-Subject": msg.subject,
            "Tread-Stream-Sequence": str(msg.metadata.sequence.stream),
            "Tread-Deliveries": str(deliveries),
            "Tread-Error": f"{type(exc).__name__}: {exc}"[:2000],
        }
        await self.broker.js.publish(
            dead_letter_subject(self.settings, self.durable), msg.data, headers=headers
        )
        EVENTS_DEAD_LETTERED.labels(self.service, self.durable).inc()
        log.error(
            "consumer %s: stream seq %d dead-lettered after %d deliveries: %s",
            self.durable,
            msg.metadata.sequence.stream,
            deliveries,
            exc,
        )


def _parse(data: bytes) -> CloudEvent:
    try:
        raw: Any = json.loads(data)
        return CloudEvent.model_validate(raw)
    except (ValueError, ValidationError) as exc:
        raise PoisonEvent(f"not a CloudEvent: {exc}") from exc


def subjects_of(services: Iterable[str]) -> list[str]:
    """Consumer filter subjects for every event of the given producing services."""
    return [f"{service}.>" for service in services]
