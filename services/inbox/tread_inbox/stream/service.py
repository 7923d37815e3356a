"""The push stream. Each process runs one watcher that reads the last position of the change
sequence every ``stream_poll_seconds`` and wakes its open streams when it moved (one query per
process, not per stream); a woken stream reads the changes after its own position that reach
its caller. The SSE id of an event is the item's position, so a client that reconnects with
``Last-Event-ID`` gets every change after the last one it saw, once: positions commit in order
(see ``ChangeCounter``), and an item that changed twice meanwhile comes once, as it is now."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from tread_inbox.items import repository as items
from tread_inbox.items.service import render
from tread_inbox.settings import Settings
from tread_inbox.stream.repository import last_position
from tread_shared.app import ServiceRuntime
from tread_shared.auth.principal import Principal
from tread_shared.db.engine import Database

log = logging.getLogger(__name__)

BATCH = 100


class ChangeWatcher:
    """The last position this process has seen, and a condition its streams wait on."""

    def __init__(self, db: Database, poll_seconds: float) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.position = 0
        self.changed = asyncio.Condition()

    async def read_position(self) -> int:
        async with self.db.unit_of_work() as session:
            return await last_position(session)

    async def run(self) -> None:
        while True:
            try:
                position = await self.read_position()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may come back
                log.warning("inbox stream cannot read the change sequence: %s", exc)
            else:
                if position != self.position:
                    self.position = position
                    async with self.changed:
                        self.changed.notify_all()
            await asyncio.sleep(self.poll_seconds)

    async def wait_beyond(self, position: int, seconds: float) -> bool:
        """Whether the sequence moved beyond ``position`` within ``seconds``."""
        if self.position > position:
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self.changed:
                await self.changed.wait_for(lambda: self.position > position)
        return self.position > position


def with_change_watcher(app: FastAPI, settings: Settings) -> FastAPI:
    """Run the process's watcher for as long as the service runs."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            runtime: ServiceRuntime = app_.state.runtime
            watcher = ChangeWatcher(runtime.db, settings.stream_poll_seconds)
            app_.state.change_watcher = watcher
            task = asyncio.create_task(watcher.run(), name="inbox-change-watcher")
            try:
                yield
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    app.router.lifespan_context = lifespan
    return app


def sse(event: str, data: str, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


async def changes(
    watcher: ChangeWatcher,
    principal: Principal,
    after: int | None,
    heartbeat_seconds: float,
) -> AsyncIterator[bytes]:
    """The SSE body: the caller's item changes after ``after`` (now, when ``None``), then each
    new one as it commits; a comment line when quiet for ``heartbeat_seconds``."""
    position = after if after is not None else await watcher.read_position()
    # Tells the client the stream is open, and where it starts.
    yield f"retry: 2000\n: open at {position}\n\n".encode()
    while True:
        # Every position up to the watcher's is committed (they commit in order): once read,
        # the changes up to it that are not the caller's need not be looked at again.
        horizon = watcher.position
        async with watcher.db.unit_of_work() as session:
            rows = await items.after_position(session, principal, position, BATCH)
            events = [render(item, receipt) for item, receipt in rows]
        for item in events:
            position = item.position
            yield sse("item", item.model_dump_json(), item.position)
        if len(events) == BATCH:
            continue
        position = max(position, horizon)
        if not await watcher.wait_beyond(position, heartbeat_seconds):
            yield b": heartbeat\n\n"
