"""The outbox relay: publishes committed outbox rows to JetStream and marks them published only
after the broker's ack.

Claiming. Rows are claimed by state (``pending``, in ``seq`` order), never by "seq greater than
the last one seen": seqs are taken before commit, so a row may commit after a higher one and
must still be found.

One publisher at a time. Several relays run (one per replica). A lease row
(``outbox_relay_lease``) lets one of them publish at a time; the holder renews it as it works,
and a relay that dies loses it after ``lease_seconds``, when another takes over. The lease is a
time lease in the database rather than a lock held in a transaction, so that no transaction
stays open while we wait on the network, and it works alike on SQLite and PostgreSQL.

A killed holder replaced at once (PostgreSQL). Waiting out the lease delays every event of a
killed holder by up to ``lease_seconds``. So the holder also keeps a session-level advisory lock
on its own connection, which PostgreSQL drops the moment that connection ends: when the holder's
process dies, its socket closes and the lock is free. A standby tries the lock at each poll;
taking it means no live session holds it, so the holder named in the lease row is gone and the
standby takes the lease over without waiting for it to expire (one poll, 0.2 s). The time lease
stays the rule for what the lock cannot see: a holder that hangs, or whose host vanished without
closing its connection, keeps its lock and loses the lease when it expires; a holder that finds
the lease taken by another gives its lock back. On SQLite (every process on the database's host)
the lock is an exclusive ``flock`` on a file beside the database, which the kernel releases
when the holder's process dies: a service restarted after ``kill -9``, or a sibling worker,
takes the lease over at once too (where ``fcntl`` is missing, Windows, the time lease alone).

Why not ``FOR UPDATE SKIP LOCKED`` on PostgreSQL. SKIP LOCKED lets several relays claim
*different* rows at once: each row is claimed once, but two events of one entity may then be
published by two relays in either order, which breaks per-entity order, the guarantee consumers
rely on. We would need to partition by entity to win anything, and one relay already publishes
far faster than a service writes (see ``bench/RESULTS.md``). So we do not use it.

What holds when the lease does not. A lease may expire while its holder still works (a long
pause, clock skew between replicas), so two relays can publish the same rows at the same moment.
That stays safe: every event is published with ``Nats-Msg-Id`` = event id, so the broker stores
it once (within its duplicate window), and each relay publishes an entity's next event only
after the broker acked the one before, so the stored order of an entity's events is their
outbox order whichever relay stored each. The consumers' inbox covers republishing after the
duplicate window. A crash between publish and mark is the same case.

Speed. Rows are published in waves: a wave holds at most one row per entity, its publishes are
pipelined (``publish_async``) and awaited together, then the next wave goes. Distinct entities
(the common case) go in one round trip; an entity's next event waits for the ack of the one
before. The first failed publish ends the batch: the acked rows are marked, the rest is retried
from the outbox. Acked rows are otherwise marked in the statement before the next claim (or alone
when the relay falls idle), and the relay keeps a database connection of its own between
batches (see :meth:`OutboxRelay._using`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NoStreamResponseError
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from tread_shared.clock import utcnow
from tread_shared.db.engine import READ_ONLY, Database
from tread_shared.db.in_transaction import execute_in, fetch_in
from tread_shared.db.platform_tables import outbox_events, outbox_relay_lease
from tread_shared.events.broker import Broker
from tread_shared.observability.metrics import EVENTS_PUBLISHED, OUTBOX_PENDING

try:
    import fcntl
except ImportError:  # Windows: the time lease alone on SQLite
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LEASE_NAME = "outbox"
LEASE_SECONDS = 5.0
# The lease's advisory lock (PostgreSQL), in the two-key space: apart from the one-key locks of
# the idempotency keys.
LEASE_LOCK = (0x74726561, 1)  # "trea", the outbox relay
PUBLISH_TIMEOUT_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 5.0
# The envelope read as the text the outbox wrote (a JSON column keeps it as written, on
# PostgreSQL's ``json`` and SQLite alike) and published as it is: parsing it to publish it
# serialised again cost a tenth of the relay's time.
_ENVELOPE_TEXT = cast(outbox_events.c.envelope, Text)


def _of_seqs(dialect: str) -> ColumnElement[bool]:
    """The rows of a batch by seq, the seqs one parameter: on PostgreSQL an array (one
    statement whatever the batch's size), elsewhere an expanding ``IN`` list."""
    if dialect == "postgresql":
        return outbox_events.c.seq == any_(bindparam("seqs", type_=ARRAY(BigInteger)))
    return outbox_events.c.seq.in_(bindparam("seqs", expanding=True))


# Built once per dialect, the statements of a batch run on the driver on PostgreSQL
# (``fetch_in``, ``execute_in``): through the relay's AsyncConnection each cost about 190 us of
# CPU, a claim and a mark per batch of about eight events under load (issue 12).
_MARK_PUBLISHED = {
    dialect: update(outbox_events)
    .where(_of_seqs(dialect))
    .values(
        state="published",
        published_at=bindparam("now", type_=outbox_events.c.published_at.type),
        times_sent=outbox_events.c.times_sent + 1,
    )
    for dialect in ("postgresql", "sqlite")
}
_MARK_FAILED = {
    dialect: update(outbox_events)
    .where(_of_seqs(dialect))
    .values(times_sent=outbox_events.c.times_sent + 1, last_error=bindparam("error", type_=Text))
    for dialect in ("postgresql", "sqlite")
}


@lru_cache(maxsize=16)
def _pending(batch_size: int) -> Select[Any]:
    """The oldest pending rows, in ``seq`` order, at most ``batch_size``."""
    return (
        select(
            outbox_events.c.seq,
            outbox_events.c.entity_id,
            outbox_events.c.nats_subject,
            _ENVELOPE_TEXT.label("envelope"),
            outbox_events.c.headers,
        )
        .where(outbox_events.c.state == "pending")
        .order_by(outbox_events.c.seq)
        .limit(batch_size)
    )


@dataclass(frozen=True)
class OutboxRow:
    """A pending outbox row, as the relay publishes it."""

    seq: int
    entity_id: str
    nats_subject: str
    envelope: str  # the CloudEvent's JSON, as the outbox holds it
    headers: dict[str, Any]

    @property
    def body(self) -> bytes:
        return self.envelope.encode()


@dataclass
class PublishOutcome:
    """Which rows the broker acked (by seq), and the failure that ended the batch, if any."""

    acked: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    error: BaseException | None = None


class PublishFailed(Exception):
    """Some rows of a batch could not be published; they stay pending and are retried."""


class BrokerUnavailable(Exception):
    """The broker connection is down: nothing is claimed until it is back."""


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
        lease_seconds: float = LEASE_SECONDS,
        publish_timeout: float = PUBLISH_TIMEOUT_SECONDS,
    ) -> None:
        self.db = db
        self.broker = broker
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.holder = holder or uuid.uuid4().hex
        self.lease_seconds = lease_seconds
        self.publish_timeout = publish_timeout
        self.published = 0
        self._lease_valid_until = 0.0  # monotonic; 0: we do not hold the lease
        # The lease's lock: advisory, on self._connection (PostgreSQL); a file's (SQLite).
        self._holds_lock = False
        self._lock_file: int | None = None  # its descriptor (SQLite)
        self._unmarked = PublishOutcome()  # acked, to mark with the next claim
        self._connection: AsyncConnection | None = None

    async def run(self) -> None:
        """Publish pending rows as they are committed, until cancelled. Broker or database
        trouble is logged and retried with backoff; it never ends the loop.

        The rows a batch published are marked in the transaction that claims the next batch
        (one transaction per batch rather than two), or alone once the relay falls idle."""
        js = await self.broker.wait_ready()
        backoff = self.poll_seconds
        try:
            while True:
                backoff = await self._turn(js, backoff)
        finally:
            await self.close()

    async def _turn(self, js: JetStreamContext, backoff: float) -> float:
        """One batch, then the wait before the next; the backoff after a next failure."""
        # Cleared before claiming: a commit from now on is either seen by this claim or wakes
        # the wait below.
        self.db.outbox_committed.clear()
        try:
            sent = await self._relay_batch(js)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - broker or database trouble: retry later
            log.warning("outbox relay: %s; retrying within %.1fs", exc, backoff)
            await self.close()
            with contextlib.suppress(Exception):  # else published again: the broker drops it
                await self._mark_published()
            return await self._recover(exc, backoff)
        busy = sent >= self.batch_size or (self.holds_lease and await self._wait_for_commit())
        if not busy:
            await self._mark_published()
            if not self.holds_lease:
                await asyncio.sleep(self.poll_seconds)
        return self.poll_seconds

    @property
    def holds_lease(self) -> bool:
        return self._lease_valid_until > time.monotonic()

    async def publish_batch(self, js: JetStreamContext) -> int:
        """Publish up to ``batch_size`` pending rows if we hold the lease, and mark them; how
        many were acked. Raises :class:`PublishFailed` if some could not be published."""
        sent = await self._relay_batch(js)
        await self._mark_published()
        return sent

    async def _relay_batch(self, js: JetStreamContext) -> int:
        """Mark the previous batch and claim the next in one transaction, then publish it; how
        many rows were acked (they wait in ``_unmarked`` to be marked)."""
        if not self.broker.connected:
            # Publishing now would only fill nats-py's reconnect buffer with copies.
            raise BrokerUnavailable("not connected to NATS")
        if not await self._hold_lease():
            return 0
        if self._unmarked.acked:
            async with self._using(write=True) as connection:
                await self._mark(connection, self._unmarked)
                rows = await self._claim(connection)
            self._unmarked = PublishOutcome()
        else:
            rows = await self.claim()
        outcome = await self.publish(js, rows) if rows else PublishOutcome()
        if len(rows) < self.batch_size:
            OUTBOX_PENDING.labels(self.service).set(len(rows) - len(outcome.acked))
        if outcome.error is not None:
            await self.mark(outcome)
            raise PublishFailed(
                f"{len(outcome.failed)} outbox row(s) not published: {_describe(outcome.error)}"
            ) from outcome.error
        self._unmarked = outcome
        return len(outcome.acked)

    async def _mark_published(self) -> None:
        unmarked, self._unmarked = self._unmarked, PublishOutcome()
        await self.mark(unmarked)

    async def claim(self) -> list[OutboxRow]:
        """The oldest pending rows, in ``seq`` order, at most ``batch_size``."""
        async with self._using(write=False) as connection:
            return await self._claim(connection)

    async def _claim(self, connection: AsyncConnection) -> list[OutboxRow]:
        rows = await fetch_in(connection, _pending(self.batch_size), {})
        return [OutboxRow(*row) for row in rows]

    async def publish(self, js: JetStreamContext, rows: list[OutboxRow]) -> PublishOutcome:
        """Publish ``rows`` in waves of at most one row per entity (see the module docstring);
        stop at the first wave with a failure."""
        outcome = PublishOutcome()
        remaining = rows
        while remaining:
            wave: list[OutboxRow] = []
            later: list[OutboxRow] = []
            entities: set[str] = set()
            for row in remaining:
                if row.entity_id in entities:
                    later.append(row)
                else:
                    entities.add(row.entity_id)
                    wave.append(row)
            await self._publish_wave(js, wave, outcome)
            if outcome.error is not None:
                break
            remaining = later
        self.published += len(outcome.acked)
        EVENTS_PUBLISHED.labels(self.service).inc(len(outcome.acked))
        return outcome

    async def _publish_wave(
        self, js: JetStreamContext, wave: list[OutboxRow], outcome: PublishOutcome
    ) -> None:
        sent: list[tuple[OutboxRow, asyncio.Future[Any]]] = []
        for row in wave:
            try:
                future = await js.publish_async(
                    row.nats_subject, row.body, headers=_str_headers(row.headers)
                )
            except Exception as exc:  # noqa: BLE001 - e.g. reconnect buffer full: retry later
                outcome.error = exc
                outcome.failed.extend(r.seq for r in wave[len(sent) :])
                break
            sent.append((row, future))
        if not sent:
            return
        futures = [future for _, future in sent]
        done, waiting = await asyncio.wait(futures, timeout=self.publish_timeout)
        for future in waiting:
            future.cancel()
        for row, future in sent:
            error = (
                future.exception()
                if future in done
                else TimeoutError(f"no ack within {self.publish_timeout}s")
            )
            if error is None:
                outcome.acked.append(row.seq)
            else:
                outcome.failed.append(row.seq)
                outcome.error = outcome.error or error

    async def mark(self, outcome: PublishOutcome) -> None:
        """Mark acked rows published and count the attempt on failed ones, in one transaction."""
        if outcome.acked or outcome.failed:
            async with self._using(write=True) as connection:
                await self._mark(connection, outcome)

    async def _mark(self, connection: AsyncConnection, outcome: PublishOutcome) -> None:
        dialect = self.db.engine.dialect.name
        if outcome.acked:
            values = {"seqs": outcome.acked, "now": utcnow()}
            await execute_in(connection, _MARK_PUBLISHED[dialect], values)
        if outcome.failed:
            error = _describe(outcome.error)[:2000]
            values = {"seqs": outcome.failed, "error": error}
            await execute_in(connection, _MARK_FAILED[dialect], values)

    async def release(self) -> None:
        """Give the lease up (clean shutdown), so another replica takes over at once."""
        self._lease_valid_until = 0.0
        try:
            async with self._using(write=True) as connection:
                await connection.execute(
                    update(outbox_relay_lease)
                    .where(outbox_relay_lease.c.name == LEASE_NAME)
                    .where(outbox_relay_lease.c.holder == self.holder)
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
        finally:
            await self.close()

    async def _hold_lease(self) -> bool:
        # Renewing costs a write transaction: only when less than half the lease is left.
        started = time.monotonic()
        if self._lease_valid_until - started > self.lease_seconds / 2:
            return True
        acquired = await self._acquire_lease()
        # Counted from before the renewal, so we never believe in a longer lease than we have.
        self._lease_valid_until = started + self.lease_seconds if acquired else 0.0
        return acquired

    async def _acquire_lease(self) -> bool:
        now = utcnow()
        expires = now + timedelta(seconds=self.lease_seconds)
        async with self._using(write=True) as connection:
            holder_gone = await self._take_lock(connection)
            claim = (
                update(outbox_relay_lease)
                .where(outbox_relay_lease.c.name == LEASE_NAME)
                .values(holder=self.holder, expires_at=expires)
            )
            if not holder_gone:
                claim = claim.where(
                    (outbox_relay_lease.c.holder == self.holder)
                    | (outbox_relay_lease.c.expires_at < now)
                )
            result = await connection.execute(claim)
            if result.rowcount == 1:
                return True
            exists = await connection.scalar(
                select(outbox_relay_lease.c.name).where(outbox_relay_lease.c.name == LEASE_NAME)
            )
            if exists is not None:
                # Another relay took the lease while we hung: its lock no longer ours to keep.
                await self._drop_lock(connection)
                return False
        try:
            async with self._using(write=True) as connection:
                await connection.execute(
                    insert(outbox_relay_lease).values(
                        name=LEASE_NAME, holder=self.holder, expires_at=expires
                    )
                )
        except IntegrityError:
            return False
        return True

    async def _take_lock(self, connection: AsyncConnection) -> bool:
        """Take the lease's lock unless we hold it already. True when we just took it: no live
        session (PostgreSQL) or process (SQLite) held it, so whoever the lease row names is
        gone."""
        if self._holds_lock:
            return False
        if self.db.is_sqlite:
            self._holds_lock = self._take_file_lock()
            return self._holds_lock
        taken = await connection.scalar(select(func.pg_try_advisory_lock(*LEASE_LOCK)))
        self._holds_lock = bool(taken)
        return self._holds_lock

    def _take_file_lock(self) -> bool:
        database = self.db.engine.url.database
        if fcntl is None or not database or database == ":memory:":
            return False
        descriptor = os.open(f"{database}-relay-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by a live process
            os.close(descriptor)
            return False
        self._lock_file = descriptor
        return True

    def _drop_file_lock(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)  # and with it the flock
            self._lock_file = None
            self._holds_lock = False

    async def _drop_lock(self, connection: AsyncConnection) -> None:
        self._drop_file_lock()
        if self._holds_lock:
            await connection.execute(select(func.pg_advisory_unlock(*LEASE_LOCK)))
            self._holds_lock = False

    @contextlib.asynccontextmanager
    async def _using(self, *, write: bool) -> AsyncIterator[AsyncConnection]:
        """The relay's own connection, kept from batch to batch: no pool checkout, ping and
        reset for each of its few statements. On PostgreSQL it runs in autocommit (each
        statement of the relay is atomic alone, and a claim is one round trip); on SQLite in a
        transaction (``BEGIN IMMEDIATE`` to write, through the write queue; a deferred
        ``BEGIN`` to read). Dropped on any error, and opened again at the next use."""
        if self._connection is None:
            self._connection = await self.db.engine.connect()
            if not self.db.is_sqlite:
                await self._connection.execution_options(isolation_level="AUTOCOMMIT")
        connection = self._connection
        try:
            if self.db.is_sqlite:
                await connection.execution_options(**{READ_ONLY: not write})
                async with connection.begin():
                    yield connection
            else:
                yield connection
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Give the relay's own database connection back (it opens again when needed), and with
        it the lease's lock: the lease is checked again before the next batch."""
        if self._lock_file is not None:
            self._lease_valid_until = 0.0
            self._drop_file_lock()
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._holds_lock:
            self._lease_valid_until = 0.0
            try:
                await self._drop_lock(connection)
            except Exception:  # noqa: BLE001 - never back to the pool with the lock held
                with contextlib.suppress(Exception):
                    await connection.invalidate()
        self._holds_lock = False
        with contextlib.suppress(Exception):
            await connection.close()

    async def _wait_for_commit(self) -> bool:
        """Until a transaction that wrote outbox rows commits in this process (True), or the
        poll interval passes (False: rows written by other replicas are found by polling)."""
        try:
            await asyncio.wait_for(self.db.outbox_committed.wait(), timeout=self.poll_seconds)
        except TimeoutError:
            return False
        return True

    async def _recover(self, exc: BaseException, backoff: float) -> float:
        """Wait before the next attempt; returns the backoff after that one."""
        cause = exc.__cause__ if isinstance(exc, PublishFailed) else exc
        if isinstance(cause, NoStreamResponseError) and self.broker.connected:
            # No stream answered: JetStream is starting, the broker lost its storage, or (in a
            # cluster) the stream's leader died and no other is elected yet.
            with contextlib.suppress(Exception):
                await self.broker.ensure_streams_if_missing()
        if isinstance(exc, PublishFailed) and self.broker.connected:
            # Connected, yet the publish failed: in a cluster, the stream's leader node may have
            # died. Publish again as soon as a new leader is elected (a few seconds), not after
            # a backoff that grew during the election.
            waited = await self.broker.wait_for_stream_leader(within=backoff)
            if waited is None:
                return min(backoff * 2, MAX_BACKOFF_SECONDS)
            if waited > 0:
                return self.poll_seconds
        if await self.broker.wait_to_retry(backoff):
            return self.poll_seconds  # the broker is back: retry at once, and soon again
        return min(backoff * 2, MAX_BACKOFF_SECONDS)


def _describe(error: BaseException | None) -> str:
    return f"{type(error).__name__}: {error}" if error is not None else ""


def _str_headers(headers: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in headers.items()}
