"""The NATS connection: established in the background, reconnecting forever, so that a broker
outage delays events but never stops a service from starting or answering."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from tread_shared.settings import ServiceSettings

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_SECONDS = 600.0


def dead_letter_subject(settings: ServiceSettings, consumer: str) -> str:
    return f"{settings.nats_dead_letter_root}.{settings.nats_subject_root}.{consumer}"


def dead_letter_stream(settings: ServiceSettings) -> str:
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
            self.ready.set()
            log.info("connected to NATS at %s", self.settings.nats_url)
            return

    async def wait_ready(self) -> JetStreamContext:
        await self.ready.wait()
        assert self.js is not None
        return self.js

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS error: %s", exc)

    async def _on_disconnected(self) -> None:
        log.warning("disconnected from NATS")

    async def _on_reconnected(self) -> None:
        log.info("reconnected to NATS")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.nc is not None and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception:  # noqa: BLE001 - closing anyway
                await self.nc.close()
