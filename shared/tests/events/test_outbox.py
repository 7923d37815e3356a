"""A write commits its state and its event together, or neither; events held for a unit of
work's last statement go in with it, or with whatever commits the session, never with a
transaction they were not recorded in."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tread_shared.db.platform_tables import outbox_events
from tread_shared.db.upsert import insert_on_conflict
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.outbox import hold_events, insert_with_held_events

from .conftest import Depot, Pipeline, eventually
from .depot import StockCounted, depot_stock


class CountAbandoned(Exception):
    """Raised inside a unit of work to make it roll back."""


async def test_a_rolled_back_write_leaves_neither_its_change_nor_its_event(depot: Depot) -> None:
    with pytest.raises(CountAbandoned):
        async with depot.db.unit_of_work() as session:
            await depot.record_count(session, "PS5-225-45R17", 40)
            raise CountAbandoned

    assert await depot.stock() == {}
    assert await depot.outbox_rows() == []


async def test_a_committed_write_leaves_both_and_its_event_reaches_the_stream(
    pipeline: Pipeline,
) -> None:
    depot = pipeline.depot
    event = await depot.count("PS5-225-45R17", 40)

    assert await depot.stock() == {"PS5-225-45R17": 40}
    [row] = await depot.outbox_rows()
    assert (str(row.event_id), row.state, row.entity_id) == (event.id, "pending", "PS5-225-45R17")

    await pipeline.start_relay()

    async def published() -> bool:
        return len(await pipeline.stored()) == 1

    await eventually(published, what="the event in the stream")
    [message] = await pipeline.stored()
    assert message.subject == f"{depot.settings.nats_subject_root}.depot.stock.counted"
    assert message.headers["Nats-Msg-Id"] == event.id
    assert message.event["type"] == "tread.depot.stock.counted.v1"
    assert message.event["subject"] == "PS5-225-45R17"
    assert message.event["data"] == {"sku": "PS5-225-45R17", "quantity": 40, "position": 1}

    async def marked() -> bool:
        return [r.state for r in await depot.outbox_rows()] == ["published"]

    await eventually(marked, what="the outbox row marked published")


@cache
def _last_statement(dialect: str) -> Any:
    """A unit of work's own last INSERT (as a keyed request's answer is): a stock row."""
    return insert_on_conflict(dialect, depot_stock).values(
        sku=bindparam("sku"), quantity=bindparam("quantity"), counts=1
    )


async def _count_then_hold(depot: Depot, session: AsyncSession, sku: str) -> CloudEvent:
    """A first count, its event written at once; then the session holds its events and
    counts ``sku``: that event is held."""
    await depot.record_count(session, "FIRST", 1)
    hold_events(session)
    return await depot.record_count(session, sku, 2)


async def _last(session: AsyncSession, quantity: int = 3) -> int:
    last = _last_statement(session.get_bind().dialect.name)
    return await insert_with_held_events(session, last, {"sku": "LAST", "quantity": quantity})


async def _outbox_in(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(outbox_events)) or 0)


async def test_held_events_go_in_with_the_last_statement_and_commit_with_it(
    depot: Depot,
) -> None:
    async with depot.db.unit_of_work() as session:
        held = [
            await _count_then_hold(depot, session, "HELD-1"),
            await depot.record_count(session, "HELD-2", 2),
        ]
        assert await _outbox_in(session) == 1
        assert await _last(session) == 1
        assert await _outbox_in(session) == 3

    rows = await depot.outbox_rows()
    assert [str(row.event_id) for row in rows[1:]] == [event.id for event in held]
    assert await depot.stock() == {"FIRST": 1, "HELD-1": 2, "HELD-2": 2, "LAST": 3}


async def test_held_events_roll_back_with_the_change(depot: Depot) -> None:
    with pytest.raises(CountAbandoned):
        async with depot.db.unit_of_work() as session:
            await _count_then_hold(depot, session, "HELD")
            await _last(session)
            raise CountAbandoned

    assert await depot.outbox_rows() == []
    assert await depot.stock() == {}


async def test_a_session_committed_with_events_held_writes_them(depot: Depot) -> None:
    async with depot.db.unit_of_work() as session:
        held = await _count_then_hold(depot, session, "HELD")

    assert [str(row.event_id) for row in await depot.outbox_rows()][1:] == [held.id]


async def test_events_held_in_a_rolled_back_transaction_are_not_written_by_the_next(
    depot: Depot,
) -> None:
    async with depot.db.sessions() as session:
        await _count_then_hold(depot, session, "UNDONE")
        await session.rollback()
        await depot.record_count(session, "KEPT", 3)
        kept = await depot.record_count(session, "KEPT", 4)
        await _last(session, 5)
        await session.commit()

    rows = await depot.outbox_rows()
    assert [row.entity_id for row in rows] == ["KEPT", "KEPT"]
    assert str(rows[-1].event_id) == kept.id
    assert await depot.stock() == {"KEPT": 4, "LAST": 5}


async def test_an_event_recorded_in_a_savepoint_is_written_at_once_and_undone_with_it(
    depot: Depot,
) -> None:
    async with depot.db.unit_of_work() as session:
        await depot.record_count(session, "FIRST", 1)
        hold_events(session)
        with pytest.raises(CountAbandoned):
            async with session.begin_nested():
                await depot.record_count(session, "IN-SAVEPOINT", 3)
                assert await _outbox_in(session) == 2  # FIRST, and this one: not held
                raise CountAbandoned
        held = await depot.record_count(session, "HELD", 2)
        assert await _outbox_in(session) == 1

    rows = await depot.outbox_rows()
    assert [row.entity_id for row in rows] == ["FIRST", "HELD"]
    assert str(rows[-1].event_id) == held.id


async def test_an_event_in_a_savepoint_after_held_ones_is_refused_not_reordered(
    depot: Depot,
) -> None:
    with pytest.raises(RuntimeError, match="out of order"):
        async with depot.db.unit_of_work() as session:
            await _count_then_hold(depot, session, "HELD")
            async with session.begin_nested():
                await depot.record_count(session, "IN-SAVEPOINT", 3)

    assert await depot.outbox_rows() == []
    assert await depot.stock() == {}


async def test_events_recorded_together_go_after_the_held_ones(depot: Depot) -> None:
    async with depot.db.unit_of_work() as session:
        held = await _count_then_hold(depot, session, "HELD")
        await depot.outbox.add_many(
            session,
            [
                (StockCounted(sku=sku, quantity=1, position=1), sku)
                for sku in ("TOGETHER-1", "TOGETHER-2")
            ],
        )
        assert await _outbox_in(session) == 4  # nothing held any more
        assert await _last(session) == 1

    rows = await depot.outbox_rows()
    assert [row.entity_id for row in rows] == ["FIRST", "HELD", "TOGETHER-1", "TOGETHER-2"]
    assert str(rows[1].event_id) == held.id
