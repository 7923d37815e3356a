"""The NATS connection: established in the background, reconnecting forever, so that a broker
outage delays events but never stops a service from starting or answering.

nats-py reconnects the connection and re-subscribes by itself, but a JetStream pull request in
flight is lost with the old connection and nothing tells the puller: the consumer watches idle
heartbeats for that (:mod:`tread_shared.events.consumer`). The relay and the consumer wait on
:meth:`Broker.wait_connected` after a failure, so they resume as soon as the broker is back
rather than at the end of a backoff.

In a cluster, the node that leads the event stream may die while the connection (to another
node) stays up: publishing fails until the others elect a new leader, in a few seconds. The relay
then waits on :meth:`Broker.wait_for_stream_leader` and publishes again the moment there is
one, instead of after a backoff that grew meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from tread_shared.background import stop_tasks
from tread_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_SECONDS = 600.0
# A stream's leader answers its info at once; a stream without one does not answer at all.
STREAM_INFO_TIMEOUT_SECONDS = 0.5


def dead_letter_subject(settings: ServiceSettings, consumer: str) -> str:
    """``<dead_letter_root>.<subject_root>.<durable>``: where a consumer's failed events go."""
    return f"{settings.nats_dead_letter_root}.{settings.nats_subject_root}.{consumer}"


def dead_letter_stream(settings: ServiceSettings) -> str:
    """``<STREAM>_DEADLETTER``, the stream that keeps every consumer's dead letters."""
    return f"{settings.nats_stream}_DEADLETTER"


async def ensure_streams(js: JetStreamContext, settings: ServiceSettings) -> None:
    """Create or update the ``TREAD`` stream over ``tread.>`` and its dead-letter stream."""
    wanted = [
        StreamConfig(
            name=settings.nats_stream,
            subjects=[f"{settings.nats_subject_root}.>"],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=settings.nats_stream_replicas,
        ),
        StreamConfig(
            name=dead_letter_stream(settings),
            subjects=[f"{settings.nats_dead_letter_root}.{settings.nats_subject_root}.>"],
            storage=StorageType.FILE,
            num_replicas=settings.nats_stream_replicas,
        ),
    ]
    for config in wanted:
        try:
            await js.stream_info(config.name or "")
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)


class Broker:
    """One NATS connection per service process, with its JetStream context."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.nc: NatsClient | None = None
        self.js: JetStreamContext | None = None
        self.ready = asyncio.Event()
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name="nats-connect")

    async def _connect_forever(self) -> None:
        delay = 0.2
        while True:
            try:
                nc = await nats.connect(
                    self.settings.nats_servers,
                    name=f"{self.settings.service_name}-{self.settings.instance_id}",
                    connect_timeout=self.settings.nats_connect_timeout_seconds,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    allow_reconnect=True,
                    # A broker that vanished without closing the socket is noticed in ~15 s,
                    # not after nats-py's default of several minutes.
                    ping_interval=5,
                    max_outstanding_pings=3,
                    # nats-py's drain swallows a cancellation and waits for its subscriptions up
                    # to drain_timeout (30 s by default): a shutdown's wait_for(drain(), 5)
                    # then took 30 s now and then (seen in test teardowns).
                    drain_timeout=4,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
                js = nc.jetstream()
                await ensure_streams(js, self.settings)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: keep trying
                log.warning("NATS not reachable yet (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.nc, self.js = nc, js
            self._connected.set()
            self.ready.set()
            log.info("connected to NATS at %s", self.settings.nats_url)
            return

    async def wait_ready(self) -> JetStreamContext:
        """The JetStream context, once the first connection is up and the streams exist."""
        await self.ready.wait()
        assert self.js is not None
        return self.js

    async def wait_connected(self, within: float) -> bool:
        """Wait up to ``within`` seconds for the connection to be up; whether it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), within)
        return self.connected

    async def wait_to_retry(self, delay: float) -> bool:
        """The pause after a failure: while disconnected, until the connection is back (at most
        ``delay``); else ``delay``. Whether the connection came back, so callers may retry
        at once and reset their backoff."""
        if self.connected:
            await asyncio.sleep(delay)
            return False
        return await self.wait_connected(within=delay)

    async def wait_for_stream_leader(self, within: float) -> float | None:
        """Wait up to ``within`` seconds for the event stream to have a leader: the seconds
        waited (0.0: it had one), ``None`` if it still has none."""
        began = time.monotonic()
        while True:
            if await self._stream_has_leader():
                return time.monotonic() - began
            left = within - (time.monotonic() - began)
            if left <= 0:
                return None
            await asyncio.sleep(min(0.1, left))

    async def _stream_has_leader(self) -> bool:
        if self.js is None or not self.connected:
            return False
        try:
            async with asyncio.timeout(STREAM_INFO_TIMEOUT_SECONDS):
                info = await self.js.stream_info(self.settings.nats_stream)
        except Exception:  # noqa: BLE001 - no answer, or an error: no leader to publish to
            return False
        return info.cluster is None or bool(info.cluster.leader)

    async def ensure_streams(self) -> None:
        """Create the streams again, e.g. after a broker came back without its storage."""
        await ensure_streams(await self.wait_ready(), self.settings)

    async def ensure_streams_if_missing(self) -> None:
        """Create the streams again if the broker says the event stream does not exist (it came
        back without its storage). A stream between two leaders answers nothing: that is left
        to the election, without waiting nats-py's 5 s for an answer that cannot come."""
        js = await self.wait_ready()
        try:
            async with asyncio.timeout(STREAM_INFO_TIMEOUT_SECONDS):
                await js.stream_info(self.settings.nats_stream)
        except NotFoundError:
            await ensure_streams(js, self.settings)
        except TimeoutError:
            return

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS error: %s", exc)

    async def _on_disconnected(self) -> None:
        self._connected.clear()
        log.warning("disconnected from NATS")

    async def _on_reconnected(self) -> None:
        self._connected.set()
        log.info("reconnected to NATS")

    async def close(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
        if self.nc is not None and not self.nc.is_closed:
            try:
                # Draining flushes pending acks; it cannot while reconnecting, and must not
                # hold a shutdown up for nats-py's 30 s default.
                await asyncio.wait_for(self.nc.drain(), timeout=5)
            except Exception:  # noqa: BLE001 - closing anyway
                await self.nc.close()
