from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from tread_reporting import MIGRATIONS_DIR
from tread_reporting.app import create_app
from tread_reporting.settings import Settings
from tread_shared.testing.http import Caller
from tread_shared.testing.nats_server import NatsServer
from tread_shared.testing.plugin import serve_in_process


async def test_lag_says_how_far_the_consumer_is_behind_the_stream(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    await producers.account()
    await producers.account()

    for _ in range(100):  # the service's own start event may still be on its way
        lag = (await client.get("/v1/reports/lag", headers=callers["am"].headers)).json()
        if lag["behind"] == 0 and lag["stream_last_sequence"] == lag["as_of"]["sequence"]:
            break
        await asyncio.sleep(0.05)

    assert lag["broker_reachable"] is True
    assert lag["stream_last_sequence"] == lag["as_of"]["sequence"] >= 2
    assert lag["behind"] == 0
    [consumer] = lag["consumers"]
    assert consumer["name"] == "reporting"
    assert consumer["pending"] == 0
    assert consumer["ack_pending"] == 0
    assert consumer["acknowledged_sequence"] == lag["stream_last_sequence"]


async def test_with_the_broker_down_lag_says_so_and_reads_still_answer(
    make_settings: Callable[..., Any],
    nats_server: NatsServer,
    callers: dict[str, Caller],
) -> None:
    settings = make_settings(
        Settings, MIGRATIONS_DIR, nats_url=nats_server.url, central_reports_enabled=False
    )
    app = create_app(settings)
    async with serve_in_process(app) as client:
        await app.state.runtime.broker.wait_ready()
        consumer = app.state.runtime.consumers[0]
        for _ in range(750):  # the service's own start event (slow on a loaded machine)
            if consumer.last_stream_seq >= 1:
                break
            await asyncio.sleep(0.02)
        assert consumer.last_stream_seq >= 1, "reporting never applied its own start event"
        nats_server.stop()

        lag = await client.get("/v1/reports/lag", headers=callers["central"].headers)
        portfolio = await client.get("/v1/reports/portfolio", headers=callers["central"].headers)

    assert lag.status_code == 200
    body = lag.json()
    assert body["broker_reachable"] is False
    assert "not reachable" in body["error"] or "did not answer" in body["error"]
    assert body["consumers"] == [
        {
            "name": "reporting",
            "pending": None,
            "ack_pending": None,
            "redelivered": None,
            "delivered_sequence": None,
            "acknowledged_sequence": None,
        }
    ]
    assert body["as_of"]["sequence"] >= 1
    assert portfolio.status_code == 200
