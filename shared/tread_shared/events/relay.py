"""The outbox relay: publishes committed outbox rows to JetStream, in order, and marks them
published only after the broker's ack.

Rows are claimed by state (``pending``), never by "id greater than the last one seen": ids are
taken before commit, so rows can commit out of order. Several relays may run (one per replica);
a lease row lets one publish at a time, which keeps per-entity order, and a relay that dies
loses the lease after ``LEASE_SECONDS``. A crash between publish and mark republishes with the
same ``Nats-Msg-Id``: the broker drops the duplicate and consumers' inboxes would anyway."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import timedelta
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.platform_tables import outbox_events, outbox_relay_lease
from tread_shared.events.broker import Broker
from tread_shared.observability.metrics import EVENTS_PUBLISHED, OUTBOX_PENDING

log = logging.getLogger(__name__)

LEASE_NAME = "outbox"
LEASE_SECONDS = 5.0


class OutboxRelay:
    """Publishes one service's outbox. ``run`` loops until cancelled."""

    def __init__(
        self,
        db: Database,
        broker: Broker,
        *,
        service: str,
        batch_size: int = 200,
        poll_seconds: float = 0.2,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.broker = broker
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.holder = holder or uuid.uuid4().hex
        self.published = 0

    async def run(self) -> None:
        js = await self.broker.wait_ready()
        backoff = self.poll_seconds
        while True:
            try:
                sent = await self.publish_batch(js)
                backoff = self.poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker or database trouble: retry later
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if sent == self.batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.db.outbox_committed.wait(), timeout=self.poll_seconds)
            self.db.outbox_committed.clear()

    async def _acquire_lease(self) -> bool:
        now = utcnow()
        expires = now + timedelta(seconds=LEASE_SECONDS)
        async with self.db.unit_of_work() as session:
            result = await session.execute(
                update(outbox_relay_lease)
                .where(outbox_relay_lease.c.name == LEASE_NAME)
                .where(
                    (outbox_relay_lease.c.holder == self.holder)
                    | (outbox_relay_lease.c.expires_at < now)
                )
                .values(holder=self.holder, expires_at=expires)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return True
            exists = await session.scalar(
                select(outbox_relay_lease.c.name).where(outbox_relay_lease.c.name == LEASE_NAME)
            )
            if exists is not None:
                return False
        try:
            async with self.db.unit_of_work() as session:
                await session.execute(
                    insert(outbox_relay_lease).values(
                        name=LEASE_NAME, holder=self.holder, expires_at=expires
                    )
                )
        except IntegrityError:
            return False
        return True

    async def release(self) -> None:
        """Give the lease up (clean shutdown), so another replica takes over at once."""
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(outbox_relay_lease)
                .where(outbox_relay_lease.c.name == LEASE_NAME)
                .where(outbox_relay_lease.c.holder == self.holder)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )

    async def publish_batch(self, js: JetStreamContext) -> int:
        """Publish up to ``batch_size`` pending rows in sequence order; returns how many."""
        if not await self._acquire_lease():
            return 0
        async with self.db.unit_of_work() as session:
            rows = (
                await session.execute(
                    select(
                        outbox_events.c.seq,
                        outbox_events.c.nats_subject,
                        outbox_events.c.envelope,
                        outbox_events.c.headers,
                    )
                    .where(outbox_events.c.state == "pending")
                    .order_by(outbox_events.c.seq)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            OUTBOX_PENDING.labels(self.service).set(0)
            return 0
        sent: list[int] = []
        failure: tuple[int, str] | None = None
        for row in rows:
            try:
                await js.publish(
                    row.nats_subject,
                    json.dumps(row.envelope, separators=(",", ":")).encode(),
                    headers=_str_headers(row.headers),
                    timeout=2.0,
                )
            except Exception as exc:  # noqa: BLE001 - keep what was sent, retry the rest
                failure = (row.seq, f"{type(exc).__name__}: {exc}")
                break
            sent.append(row.seq)
        await self._mark(sent, failure)
        self.published += len(sent)
        EVENTS_PUBLISHED.labels(self.service).inc(len(sent))
        if failure is not None:
            raise RuntimeError(f"publishing outbox row {failure[0]} failed: {failure[1]}")
        return len(sent)

    async def _mark(self, sent: list[int], failure: tuple[int, str] | None) -> None:
        if not sent and failure is None:
            return
        async with self.db.unit_of_work() as session:
            if sent:
                await session.execute(
                    update(outbox_events)
                    .where(outbox_events.c.seq.in_(sent))
                    .values(
                        state="published",
                        published_at=utcnow(),
                        times_sent=outbox_events.c.times_sent + 1,
                    )
                )
            if failure is not None:
                await session.execute(
                    update(outbox_events)
                    .where(outbox_events.c.seq == failure[0])
                    .values(times_sent=outbox_events.c.times_sent + 1, last_error=failure[1])
                )


def _str_headers(headers: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in headers.items()}
