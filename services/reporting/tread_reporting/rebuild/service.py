"""The rebuild. How it stays exact while the live consumer keeps going:

1. ``claim``: a new generation, state ``building``, named in the pointer (a second rebuild
   meanwhile is a 409; one whose process died is abandoned once its lease runs out).
2. ``replay``: an ordered consumer reads the stream from sequence 1; batches of events go
   through the same projectors as live events, into the new generation only. Events seen twice
   (same id) are applied once, as the live consumer's inbox does.
3. ``swap``: once the replay has passed the stream's last sequence at the start and little is
   left, one transaction locks the pointer (live consumers wait on it), reads the stream's last
   sequence S, applies the replay's remaining events up to S, records ``replayed_to = S`` and
   makes the new generation active. The live consumer then applies to it only events after S,
   so every event is in it exactly once.
4. ``cleanup``: after a grace period (reads in flight may still use the old generation), the old
   generation's rows are deleted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.consumer import READ_MODEL
from tread_reporting.generations import repository as generations
from tread_reporting.generations.models import Generation
from tread_reporting.models import READ_MODELS
from tread_reporting.projection.writes import Writes
from tread_reporting.rebuild import repository
from tread_reporting.rebuild.stream import StreamReader
from tread_reporting.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.errors import Conflict
from tread_shared.events.envelope import CloudEvent
from tread_shared.garbage_collection import fewer_collections

log = logging.getLogger(__name__)

# Close enough to the end of the stream to swap (a batch came back this short): the rest is
# applied inside the swap.
SWAP_WHEN_LEFT = 500
# Whether the generation is still being built (not abandoned meanwhile): asked every so often;
# the swap asks again, under the lock.
CHECK_EVERY_BATCHES = 10
BROKER_TIMEOUT_SECONDS = 5.0


class RebuildLost(Exception):
    """The generation being built is no longer the pointer's (abandoned, replaced)."""


@dataclass
class Progress:
    generation: int
    target: int
    replayed_seq: int = 0
    applied: int = 0
    skipped: int = 0
    seen: set[int] = field(default_factory=set)


async def stream_last_sequence(js: JetStreamContext, stream: str) -> int:
    info = await asyncio.wait_for(js.stream_info(stream), BROKER_TIMEOUT_SECONDS)
    return int(info.state.last_seq)


async def claim(
    db: Database, js: JetStreamContext, settings: Settings, requested_by: str
) -> Generation:
    """Start a rebuild: a new generation to fill. 409 if another rebuild holds its claim."""
    now = utcnow()
    target = await stream_last_sequence(js, settings.nats_stream)
    async with db.unit_of_work() as session:
        pointer = await generations.locked_pointer(session)
        if pointer.building_generation is not None:
            building = await generations.get(session, pointer.building_generation)
            if building is not None and building.lease_until and building.lease_until > now:
                raise Conflict(
                    f"A rebuild (generation {building.generation}) is running since "
                    f"{building.started_at.isoformat()}.",
                    slug="rebuild-running",
                )
            if building is not None:
                building.state = "abandoned"
                building.finished_at = now
                building.error = "Its rebuild stopped renewing its claim."
        generation = Generation(
            generation=await generations.next_number(session),
            state="building",
            replayed_to=0,
            applied_seq=0,
            events_replayed=0,
            events_skipped=0,
            replay_target_seq=target,
            requested_by=requested_by,
            started_at=now,
            lease_until=now + timedelta(seconds=settings.rebuild_lease_seconds),
        )
        session.add(generation)
        await session.flush()
        pointer.building_generation = generation.generation
    return generation


class Replay:
    """Fills a claimed generation from the stream and swaps it in."""

    def __init__(
        self,
        db: Database,
        js: JetStreamContext,
        settings: Settings,
        generation: Generation,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.db = db
        self.js = js
        self.settings = settings
        self.progress = Progress(generation.generation, generation.replay_target_seq or 0)
        self.on_progress = on_progress

    async def run(self) -> Progress:
        """Replay, swap; on failure the generation is marked failed and the pointer freed."""
        try:
            with fewer_collections():
                async with StreamReader(
                    self.js, self.settings.nats_stream, f"{self.settings.nats_subject_root}.>"
                ) as reader:
                    await self._replay(reader)
                    await self._swap(reader)
        except BaseException as exc:
            await self._fail(exc)
            raise
        return self.progress

    async def _replay(self, reader: StreamReader) -> None:
        batch = self.settings.rebuild_batch_size
        checks = 0
        while True:
            messages = await reader.take(batch, wait_seconds=1.0)
            if messages:
                async with self.db.unit_of_work() as session:
                    checks += 1
                    if checks % CHECK_EVERY_BATCHES == 1:
                        await self._check_still_ours(session)
                    await self.apply(session, messages)
            elif self.progress.replayed_seq < self.progress.target:
                # Nothing arrived in a second yet events are missing (deleted from the stream,
                # or the broker is slow): ask the stream where it ends.
                last = await stream_last_sequence(self.js, self.settings.nats_stream)
                if last <= self.progress.replayed_seq:
                    self.progress.target = last
            if (
                self.progress.replayed_seq >= self.progress.target
                and len(messages) < SWAP_WHEN_LEFT
            ):
                return

    async def _swap(self, reader: StreamReader) -> None:
        async with self.db.unit_of_work() as session:
            pointer = await generations.locked_pointer(session)
            if pointer.building_generation != self.progress.generation:
                raise RebuildLost(f"generation {self.progress.generation} is no longer being built")
            last = await stream_last_sequence(self.js, self.settings.nats_stream)
            while self.progress.replayed_seq < last:
                messages = await reader.take(self.settings.rebuild_batch_size, wait_seconds=5.0)
                if not messages:
                    raise TimeoutError(f"the replay did not reach sequence {last}")
                await self.apply(session, messages)
            now = utcnow()
            building = await generations.get(session, self.progress.generation)
            previous = await generations.get(session, pointer.active_generation)
            assert building is not None and previous is not None
            building.replayed_to = max(last, self.progress.replayed_seq)
            building.state = "active"
            building.finished_at = now
            building.lease_until = None
            previous.state = "retired"
            previous.finished_at = now
            pointer.active_generation = building.generation
            pointer.building_generation = None
        log.info(
            "rebuild: generation %d active (%d events, %d skipped)",
            self.progress.generation,
            self.progress.applied,
            self.progress.skipped,
        )

    async def apply(self, session: AsyncSession, messages: Sequence[Msg]) -> None:
        """Project ``messages`` into the generation in ``session``; an event that cannot be
        applied is skipped (the live consumer dead-letters the same one)."""
        progress = self.progress
        events: list[tuple[CloudEvent, int]] = []
        skipped = 0
        for msg in messages:
            sequence = msg.metadata.sequence.stream
            progress.replayed_seq = max(progress.replayed_seq, sequence)
            try:
                event = CloudEvent.model_validate_json(msg.data)
            except ValidationError:
                skipped += 1
                continue
            identity = hash(event.id)
            if identity not in progress.seen:
                progress.seen.add(identity)
                events.append((event, sequence))
        writes = Writes(progress.generation)
        projected = []
        for event, sequence in events:
            try:
                READ_MODEL.project(event, sequence, writes)
            except ValidationError as exc:
                log.warning("rebuild: event at sequence %d skipped: %s", sequence, exc)
                skipped += 1
            else:
                projected.append((event, sequence))
        try:
            async with session.begin_nested():
                await writes.run(session)
        except SQLAlchemyError:
            projected, failed = await self._apply_one_by_one(session, projected)
            skipped += failed
        if projected:
            last_event, _ = max(projected, key=lambda applied: applied[1])
            await generations.advance(
                session, progress.generation, progress.replayed_seq, last_event.time
            )
        progress.applied += len(projected)
        progress.skipped += skipped
        await generations.record_replay(
            session,
            progress.generation,
            replayed=len(projected),
            skipped=skipped,
            lease_until=utcnow() + timedelta(seconds=self.settings.rebuild_lease_seconds),
        )
        if self.on_progress is not None:
            self.on_progress(progress)

    async def _apply_one_by_one(
        self, session: AsyncSession, events: list[tuple[CloudEvent, int]]
    ) -> tuple[list[tuple[CloudEvent, int]], int]:
        """The batch failed in the database: keep the events that apply, skip the others."""
        applied = []
        for event, sequence in events:
            writes = Writes(self.progress.generation)
            READ_MODEL.project(event, sequence, writes)
            try:
                async with session.begin_nested():
                    await writes.run(session)
            except SQLAlchemyError as exc:
                log.warning("rebuild: event at sequence %d skipped: %s", sequence, exc)
            else:
                applied.append((event, sequence))
        return applied, len(events) - len(applied)

    async def _check_still_ours(self, session: AsyncSession) -> None:
        building = await generations.get(session, self.progress.generation)
        if building is None or building.state != "building":
            raise RebuildLost(f"generation {self.progress.generation} is no longer being built")

    async def _fail(self, exc: BaseException) -> None:
        try:
            async with self.db.unit_of_work() as session:
                pointer = await generations.locked_pointer(session)
                building = await generations.get(session, self.progress.generation)
                if building is not None and building.state == "building":
                    building.state = "failed"
                    building.finished_at = utcnow()
                    building.error = f"{type(exc).__name__}: {exc}"[:2000]
                if pointer.building_generation == self.progress.generation:
                    pointer.building_generation = None
        except Exception:  # the original failure matters more
            log.exception(
                "rebuild: could not record the failure of generation %d", self.progress.generation
            )


async def cleanup(db: Database) -> list[int]:
    """Delete the rows of replaced, failed and abandoned generations; the generations emptied."""
    async with db.unit_of_work() as session:
        leftovers = [
            g.generation
            for g in await generations.in_states(session, "retired", "failed", "abandoned")
        ]
    for generation in leftovers:
        # One table per transaction: SQLite writers wait less.
        for index in range(len(READ_MODELS)):
            async with db.unit_of_work() as session:
                await repository.delete_rows(session, generation, index)
        async with db.unit_of_work() as session:
            row = await generations.get(session, generation)
            if row is not None:
                row.state = "dropped"
    return leftovers
