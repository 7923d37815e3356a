"""Published outbox rows and applied inbox rows are forgotten once old; pending ones never."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tread_shared.clock import utcnow
from tread_shared.events import retention
from tread_shared.events.retention import Purged, purge_platform_rows

from .conftest import Pipeline

SKUS = [f"ALLSEASON-{size}" for size in (195, 205, 215, 225)]


async def test_old_published_and_applied_rows_go_pending_ones_stay(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "CHUNK", 3)  # several chunks for a few rows
    depot, ledger = pipeline.depot, pipeline.ledger
    relay = await pipeline.relay()
    js = await relay.broker.wait_ready()
    counted = await depot.count_round_robin(SKUS, rounds=2)
    assert await relay.publish_batch(js) == len(counted)
    await pipeline.start_consumer()
    await ledger.wait_for_entries(len(counted))
    unpublished = await depot.count("ALLSEASON-195", 4)

    assert await purge_platform_rows(depot.db, depot.settings) == Purged(0, 0, 0)

    three_days_on = utcnow() + timedelta(hours=73)
    purged = await purge_platform_rows(depot.db, depot.settings, three_days_on)
    assert purged.outbox == len(counted)
    assert [row.event_id for row in await depot.outbox_rows()] == [unpublished.event_uuid]
    # The inbox keeps a week: a redelivery of any of these is still recognised.
    assert (await purge_platform_rows(ledger.db, ledger.settings, three_days_on)).inbox == 0

    a_week_on = utcnow() + timedelta(hours=169)
    assert (await purge_platform_rows(ledger.db, ledger.settings, a_week_on)).inbox == len(counted)
    assert len(await ledger.wait_for_entries(len(counted))) == len(counted), "effects stay"
