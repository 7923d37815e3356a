"""Reading what a service published, for tests: every message of the test's stream, in order,
as the CloudEvent dictionaries consumers receive."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client
from nats.js.errors import NotFoundError

Event = dict[str, Any]


class EventStream:
    """The JetStream stream ``stream`` on ``nats_url`` (the test's ``event_namespace``)."""

    def __init__(self, nats_url: str, stream: str) -> None:
        self.nats_url = nats_url
        self.stream = stream
        self._connection: Client | None = None

    async def _js(self) -> Any:
        if self._connection is None:
            self._connection = await nats.connect(self.nats_url, connect_timeout=2)
        return self._connection.jetstream()

    async def all(self) -> list[Event]:
        """Every event in the stream now, oldest first (none when the stream does not exist)."""
        js = await self._js()
        try:
            info = await js.stream_info(self.stream)
        except NotFoundError:
            return []
        events = []
        for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
            try:
                message = await js.get_msg(self.stream, seq)
            except NotFoundError:
                continue
            events.append(json.loads(message.data or b"{}"))
        return events

    async def of_type(self, event_type: str) -> list[Event]:
        """Events whose ``type`` is ``event_type`` or starts with it plus a dot (``….v1``)."""
        return [e for e in await self.all() if _matches(e, event_type)]

    async def wait_for(
        self,
        event_type: str,
        count: int = 1,
        *,
        where: Callable[[Event], bool] = lambda _e: True,
        within_seconds: float = 10.0,
    ) -> list[Event]:
        """The events of ``event_type`` matching ``where``, once there are ``count`` of them;
        an ``AssertionError`` listing what arrived if they do not within ``within_seconds``."""
        deadline = asyncio.get_running_loop().time() + within_seconds
        while True:
            found = [e for e in await self.of_type(event_type) if where(e)]
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                seen = [e.get("type") for e in await self.all()]
                raise AssertionError(
                    f"expected {count} {event_type} event(s), got {len(found)}; stream: {seen}"
                )
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


def _matches(event: Event, event_type: str) -> bool:
    kind = str(event.get("type", ""))
    return kind == event_type or kind.startswith(event_type + ".")
