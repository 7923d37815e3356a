"""A write commits its state and its event together, or neither."""

from __future__ import annotations

import pytest

from .conftest import Depot, Pipeline, eventually


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
