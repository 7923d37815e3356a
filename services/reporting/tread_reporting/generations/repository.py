"""The generation rows and the pointer. The live consumer reads the pointer under a shared lock
(``FOR SHARE`` on PostgreSQL; SQLite serialises writers anyway), the swap takes it exclusively,
so no event is applied to the old generation after the swap nor missed by the new one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tread_reporting.generations.models import Generation, GenerationPointer
from tread_reporting.projection.writes import table_of
from tread_shared.clock import utcnow
from tread_shared.db.reading import Rows
from tread_shared.db.upsert import insert_on_conflict

POINTER_ID = 1


FIRST_GENERATION = 1


async def ensure_first(session: AsyncSession) -> None:
    """The first generation and the pointer to it, if they are missing. The migration writes
    them; a database emptied of its rows (an operator's truncate, tests reusing databases)
    starts again from there."""
    dialect = session.get_bind().dialect.name
    await session.execute(
        insert_on_conflict(dialect, Generation)
        .values(
            generation=FIRST_GENERATION,
            state="active",
            replayed_to=0,
            applied_seq=0,
            events_replayed=0,
            events_skipped=0,
            started_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    await session.execute(
        insert_on_conflict(dialect, GenerationPointer)
        .values(id=POINTER_ID, active_generation=FIRST_GENERATION)
        .on_conflict_do_nothing()
    )


async def active(session: AsyncSession) -> Generation:
    """The generation reads use."""
    query = select(Generation).join(
        GenerationPointer, GenerationPointer.active_generation == Generation.generation
    )
    found = (await session.scalars(query)).one_or_none()
    if found is None:
        # Not written by a read: an empty first generation, as the consumer will create it.
        return Generation(
            generation=FIRST_GENERATION, state="active", applied_seq=0, started_at=utcnow()
        )
    return found


# The active generation and how fresh it is: what every read's ``as_of`` needs, as a Core row
# (built once; no ORM entity per request).
ACTIVE_VIEW = select(
    Generation.__table__.c.generation,
    Generation.__table__.c.applied_time,
    Generation.__table__.c.applied_seq,
).join_from(
    Generation.__table__,
    GenerationPointer.__table__,
    GenerationPointer.__table__.c.active_generation == Generation.__table__.c.generation,
)


async def active_view(rows: Rows) -> tuple[int, datetime | None, int]:
    """(generation, applied_time, applied_seq) of :func:`active`, read as a row."""
    found = next(iter(await rows.all(ACTIVE_VIEW)), None)
    if found is None:
        # As :func:`active`: an empty first generation, as the consumer will create it.
        return FIRST_GENERATION, None, 0
    return int(found.generation), found.applied_time, int(found.applied_seq)


async def live_target(session: AsyncSession) -> tuple[int, int]:
    """(active generation, its ``replayed_to``), the pointer held under a shared lock until the
    transaction ends."""
    query = (
        select(Generation.generation, Generation.replayed_to)
        .join(GenerationPointer, GenerationPointer.active_generation == Generation.generation)
        .with_for_update(read=True, of=GenerationPointer)
    )
    found = (await session.execute(query)).one_or_none()
    if found is None:
        await ensure_first(session)
        found = (await session.execute(query)).one()
    generation, replayed_to = found
    return int(generation), int(replayed_to)


async def locked_pointer(session: AsyncSession) -> GenerationPointer:
    """The pointer, locked for a change (waits for live consumers' transactions to end)."""
    query = (
        select(GenerationPointer)
        .where(GenerationPointer.id == POINTER_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = (await session.scalars(query)).one_or_none()
    if found is None:
        await ensure_first(session)
        found = (await session.scalars(query)).one()
    return found


async def get(session: AsyncSession, generation: int) -> Generation | None:
    return await session.get(Generation, generation, populate_existing=True)


async def next_number(session: AsyncSession) -> int:
    highest = await session.scalar(select(func.max(Generation.generation)))
    return int(highest or 0) + 1


async def latest(session: AsyncSession) -> Generation:
    query = select(Generation).order_by(Generation.generation.desc()).limit(1)
    return (await session.scalars(query)).one_or_none() or await active(session)


async def in_states(session: AsyncSession, *states: str) -> Sequence[Generation]:
    query = select(Generation).where(Generation.state.in_(states)).order_by(Generation.generation)
    return (await session.scalars(query)).all()


async def advance(
    session: AsyncSession, generation: int, stream_seq: int, event_time: datetime
) -> None:
    """Record that the event at ``stream_seq`` was applied (as_of moves forward, never back).
    On the table, not the entity: no caller reads a ``Generation`` loaded in its session after
    this (the swap loads it again), so the ORM's matching of loaded entities is cost for
    nothing, paid once per batch of the live consumer."""
    table = table_of(Generation)
    await session.execute(
        update(table)
        .where(table.c.generation == generation, table.c.applied_seq < stream_seq)
        .values(applied_seq=stream_seq, applied_time=event_time)
    )


async def record_replay(
    session: AsyncSession,
    generation: int,
    *,
    replayed: int,
    skipped: int,
    lease_until: datetime,
) -> None:
    await session.execute(
        update(Generation)
        .where(Generation.generation == generation)
        .values(
            events_replayed=Generation.events_replayed + replayed,
            events_skipped=Generation.events_skipped + skipped,
            lease_until=lease_until,
        )
    )
