"""The push stream. Each process runs one watcher that reads the last position of the change
sequence every ``stream_poll_seconds``; when it moved, the watcher reads the changed items once
(with their directory entries) into a buffer of recent changes, encodes each SSE frame once,
and hands it to the queue of every open stream whose caller it reaches (the audience rule in
Python): one database read per change for the whole process, a check and a queue put per open
stream, and only the streams a change is for wake up. A stream that resumes (``Last-Event-ID``)
first sends what it missed from the buffer, or from the database when it is further behind
than the buffer, then what its queue brings; one that does not read fills its queue and starts
again from where it is, as on a resume, and so does every open stream when more changes came in
one poll than the buffer holds.

The SSE id of an event is the item's position, so a client that reconnects with
``Last-Event-ID`` gets every change after the last one it saw, once: positions commit in order
(see ``ChangeCounter``), and an item that changed twice meanwhile comes once, as it is now. An
item changes after its creation only by being decided (done for all), by following its account
to another audience, or by being removed, so what a stream sends needs no caller's own marks.

An item that leaves the caller's inbox is pushed as a ``removed`` event (the tombstone of
``updated_since`` with its position): to everyone it reached when its account is deleted, and,
when its account moves to another owner, key account manager or territory, to those the
former audience reached and the new one does not (an ``ItemDeparture``, a change of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.items import repository as items
from tread_inbox.items.audience import reaches
from tread_inbox.items.schemas import ItemRemoved
from tread_inbox.items.service import render
from tread_inbox.settings import Settings
from tread_inbox.stream.repository import last_position
from tread_shared.app import ServiceRuntime
from tread_shared.auth.principal import Principal
from tread_shared.background import stop_tasks
from tread_shared.db.engine import Database
from tread_shared.db.reading import reading_engine

log = logging.getLogger(__name__)

BATCH = 100
BUFFERED_CHANGES = 10_000
QUEUED_FRAMES = 1_000


@dataclass
class EntrySnapshot:
    owner_id: str
    territory: str
    key_account_manager_id: str | None
    deleted: bool


@dataclass
class Change:
    """An item as it was at ``position`` (or its departure from ``former``'s audience), and
    what decides who receives it."""

    position: int
    account_id: Any
    territory: str | None
    recipient_id: str | None
    for_account_manager: bool
    for_key_account_manager: bool
    for_district_manager: bool
    for_central: bool
    entry: EntrySnapshot | None
    deleted: bool
    # The SSE frame, encoded once for every stream it goes to.
    frame: bytes
    # A departure: the account's entry before it moved.
    former: EntrySnapshot | None = None

    def reaches(self, principal: Principal) -> bool:
        if self.former is not None:
            return reaches(self, principal, self.former) and not reaches(
                self, principal, self.entry
            )
        if self.deleted:
            # Removed for everyone it reached while its account was there.
            entry = replace(self.entry, deleted=False) if self.entry is not None else None
            return reaches(self, principal, entry)
        return reaches(self, principal, self.entry)


def _snapshot(entry: Any) -> EntrySnapshot | None:
    if entry is None:
        return None
    return EntrySnapshot(
        owner_id=entry.owner_id,
        territory=entry.territory,
        key_account_manager_id=entry.key_account_manager_id,
        deleted=entry.deleted,
    )


def removed_frame(item_id: uuid.UUID, position: int, at: datetime) -> bytes:
    removed = ItemRemoved(id=item_id, updated_at=at, position=position)
    return sse("removed", removed.model_dump_json(), position)


def _change(item: Any, entry: Any, departure: Any = None) -> Change:
    deleted = item.deleted_at is not None
    if departure is not None:
        position = departure.position
        frame = removed_frame(item.id, position, departure.departed_at)
    elif deleted:
        position = item.position
        frame = removed_frame(item.id, position, item.updated_at)
    else:
        position = item.position
        frame = sse("item", render(item, None).model_dump_json(), position)
    return Change(
        position=position,
        account_id=item.account_id,
        territory=item.territory,
        recipient_id=item.recipient_id,
        for_account_manager=item.for_account_manager,
        for_key_account_manager=item.for_key_account_manager,
        for_district_manager=item.for_district_manager,
        for_central=item.for_central,
        entry=_snapshot(entry),
        deleted=deleted,
        frame=frame,
        former=None
        if departure is None
        else EntrySnapshot(
            owner_id=departure.owner_id,
            territory=departure.territory,
            key_account_manager_id=departure.key_account_manager_id,
            deleted=False,
        ),
    )


class Subscriber:
    """One open stream, as the watcher sees it: its caller and a queue of ``(position,
    frame)`` of the changes that reach the caller (a stream is woken only for its own). A
    client that does not read fills the queue; the stream then drops it and reads what it
    missed from the buffer or the database, as on a resume."""

    def __init__(self, principal: Principal, joined_at: int) -> None:
        self.principal = principal
        self.joined_at = joined_at
        self.queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue(QUEUED_FRAMES)
        self.overflowed = False

    def offer(self, position: int, frame: bytes) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait((position, frame))
        except asyncio.QueueFull:
            self.overflowed = True

    def fall_behind(self) -> None:
        """Changes passed that were never offered (more came in one poll than the buffer
        holds): the stream reads them as on a resume, woken by a frame it never sends."""
        if not self.overflowed:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait((0, b""))


class ChangeWatcher:
    """The last position this process has seen, the changes up to it since ``covered_from``,
    and the open streams it hands each new change to."""

    def __init__(self, db: Database, poll_seconds: float) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.position = 0
        self.covered_from = 0
        self.recent: deque[Change] = deque(maxlen=BUFFERED_CHANGES)
        self.subscribers: set[Subscriber] = set()

    async def read_position(self) -> int:
        async with reading(self.db) as session:
            return await last_position(session)

    async def catch_up(self) -> None:
        """Read the counter and, when it moved, the items that changed."""
        async with reading(self.db) as session:
            position = await last_position(session)
            if position == self.position:
                return
            if position < self.position:  # a database emptied and started again
                self.recent.clear()
                self.covered_from = 0
                self.position = 0
            after = max(self.position, position - BUFFERED_CHANGES)
            rows = await items.changed_between(session, after, position)
            changes = [_change(item, entry) for item, entry in rows]
            departures = await items.departures_between(session, after, position)
            if departures:
                changes += [_change(item, entry, gone) for gone, item, entry in departures]
                changes.sort(key=lambda change: change.position)
        if after > self.position:
            self.recent.clear()
            self.covered_from = after
            # The changes in between are neither buffered nor handed out: every open stream
            # reads them from the database (before, they were lost to the streams open then).
            for subscriber in self.subscribers:
                subscriber.fall_behind()
        self.recent.extend(changes)
        if len(self.recent) == self.recent.maxlen and self.recent:
            self.covered_from = max(self.covered_from, self.recent[0].position - 1)
        self.position = position
        self._fan_out(changes)

    def _fan_out(self, changes: list[Change]) -> None:
        """Hand each open stream the frames of the new changes that reach its caller: the
        audience rule in Python, the frame encoded once, a put on the stream's queue."""
        for subscriber in self.subscribers:
            for change in changes:
                if change.reaches(subscriber.principal):
                    subscriber.offer(change.position, change.frame)

    def subscribe(self, principal: Principal) -> Subscriber:
        """From now on, every change after ``self.position`` that reaches ``principal`` is put
        on the subscriber's queue (no await between reading the position and joining)."""
        subscriber = Subscriber(principal, self.position)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def run(self) -> None:
        while True:
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may come back
                log.warning("inbox stream cannot read the change sequence: %s", exc)
            await asyncio.sleep(self.poll_seconds)

    def changes_after(self, position: int) -> list[Change] | None:
        """The buffered changes after ``position``; ``None`` when the buffer does not reach
        back that far (read the database instead)."""
        if position < self.covered_from:
            return None
        return [change for change in self.recent if change.position > position]


@contextlib.asynccontextmanager
async def reading(db: Database) -> AsyncIterator[AsyncSession]:
    """A session that only reads (``ReadSession``'s: no write transaction). The watcher polls
    every ``stream_poll_seconds``: in a write transaction, on SQLite each poll queued behind
    the writers and held them up, and a poll cancelled at shutdown could leave a connection
    whose forced close kept SQLite's write lock, so the next writer waited out the 30 s busy
    timeout (seen as slow test teardowns)."""
    async with db.connections.place():
        session = AsyncSession(reading_engine(db), expire_on_commit=False)
        try:
            yield session
        finally:
            await session.close()


def with_change_watcher(app: FastAPI, settings: Settings) -> FastAPI:
    """Run the process's watcher for as long as the service runs."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            runtime: ServiceRuntime = app_.state.runtime
            watcher = ChangeWatcher(runtime.db, settings.stream_poll_seconds)
            with contextlib.suppress(Exception):  # the database may not answer yet
                await watcher.catch_up()
            app_.state.change_watcher = watcher
            task = asyncio.create_task(watcher.run(), name="inbox-change-watcher")
            try:
                yield
            finally:
                # Cancelled until it has ended: a cancellation can be swallowed by a timeout
                # inside the database driver, and a single cancel then held the shutdown.
                await stop_tasks([task])

    app.router.lifespan_context = lifespan
    return app


def sse(event: str, data: str, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


async def _from_database(
    watcher: ChangeWatcher, principal: Principal, position: int
) -> list[tuple[int, bytes]]:
    """The caller's next ``BATCH`` changes after ``position``: ``(position, frame)``."""
    async with reading(watcher.db) as session:
        rows = await items.after_position(session, principal, position, BATCH)
        departures = await items.departed_after_position(session, principal, position, BATCH)
    found: list[tuple[int, bytes]] = []
    for item, receipt, account_deleted in rows:
        if item.deleted_at is not None or account_deleted:
            found.append((item.position, removed_frame(item.id, item.position, item.updated_at)))
        else:
            frame = sse("item", render(item, receipt).model_dump_json(), item.position)
            found.append((item.position, frame))
    for gone in departures:
        found.append((gone.position, removed_frame(gone.item_id, gone.position, gone.departed_at)))
    # Both lists hold every change up to their last one: the first BATCH of the two are the
    # caller's next BATCH changes.
    return sorted(found, key=lambda change: change[0])[:BATCH]


async def _catch_up(
    watcher: ChangeWatcher, principal: Principal, position: int, upto: int
) -> AsyncIterator[tuple[int, bytes]]:
    """The caller's changes in ``(position, upto]`` (and maybe a few after ``upto``): from the
    buffer when it reaches back that far, else from the database, a batch at a time."""
    while position < upto:
        buffered = watcher.changes_after(position)
        if buffered is not None:
            for change in buffered:
                if change.position > upto:
                    break
                if change.reaches(principal):
                    yield change.position, change.frame
            return
        # Every position up to the horizon is committed (they commit in order): once read,
        # the changes up to it that are not the caller's need not be looked at again.
        events = await _from_database(watcher, principal, position)
        for at, frame in events:
            position = at
            yield at, frame
        if len(events) < BATCH:
            return


async def changes(
    watcher: ChangeWatcher,
    principal: Principal,
    after: int | None,
    heartbeat_seconds: float,
) -> AsyncIterator[bytes]:
    """The SSE body: the caller's item changes after ``after`` (now, when ``None``), then each
    new one as it commits; a comment line when quiet for ``heartbeat_seconds``."""
    subscriber = watcher.subscribe(principal)
    try:
        position = after if after is not None else subscriber.joined_at
        # Tells the client the stream is open, and where it starts.
        yield f"retry: 2000\n: open at {position}\n\n".encode()
        upto = subscriber.joined_at
        while True:
            # What happened before the queue took over: a resume, or a queue overflowed.
            async for at, frame in _catch_up(watcher, principal, position, upto):
                position = at
                yield frame
            position = max(position, upto)
            while not subscriber.overflowed:
                try:
                    async with asyncio.timeout(heartbeat_seconds):
                        at, queued = await subscriber.queue.get()
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                if at > position:  # not already sent by the catch-up
                    position = at
                    yield queued
            # The client fell behind by a whole queue: start again from where it is.
            while not subscriber.queue.empty():
                subscriber.queue.get_nowait()
            subscriber.overflowed = False
            upto = watcher.position
    finally:
        watcher.unsubscribe(subscriber)
