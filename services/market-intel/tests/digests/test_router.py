from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tread_market_intel.digests.service import issue_weekly_digests, last_week
from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

CODE = "TR-315/80R22.5-XMD"


async def test_a_weekly_digest_per_subscriber_once_whatever_the_replicas(
    app: FastAPI,
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    market: Any,
    seen: Callable[..., dict[str, Any]],
    events: EventStream,
) -> None:
    await market.product(CODE)
    am, dm = callers["am"], callers["dm"]
    now = utcnow()
    followed = await market.post("/v1/subscriptions", {"competitors": ["Rival"]}, am)
    await market.post("/v1/subscriptions", {"territories": ["east"]}, dm)
    at = (now - timedelta(days=1)).isoformat()
    for body in (
        seen(CODE, "1890.00", at, text="Rival <b>1890</b> with 60-day terms"),
        seen(CODE, "1990.00", at, competitor="Cheapo"),
    ):
        await market.post("/v1/observations", body, am)
    await market.post("/v1/observations", seen(CODE, "1700.00", at, territory="east"), dm)

    # Next week, two replicas run the job at the same moment: one digest per subscriber.
    next_week = now.date() + timedelta(days=7)
    runtime = app.state.runtime
    issued = await asyncio.gather(
        issue_weekly_digests(runtime.db, runtime.outbox, next_week),
        issue_weekly_digests(runtime.db, runtime.outbox, next_week),
    )
    assert sum(issued) == 2
    assert await issue_weekly_digests(runtime.db, runtime.outbox, next_week) == 0

    mine = await client.get("/v1/digests", headers=am.headers)
    (digest,) = mine.json()["items"]
    week, _monday, _sunday = last_week(next_week)
    assert digest["week"] == week and digest["subscription_id"] == followed["id"]
    content = digest["content"]
    assert content["observations"]["total"] == 1
    assert content["observations"]["by_competitor"] == {"Rival": 1}
    assert content["highlights"][0]["observed_price"] == {"amount": "1890.00", "currency": "CNY"}

    url = f"/v1/digests/{digest['id']}"
    html = await client.get(url, headers=am.with_(Accept="text/html"))
    assert html.headers["content-type"].startswith("text/html")
    assert f"Market digest, week {week}" in html.text
    assert "Rival &lt;b&gt;1890&lt;/b&gt;" in html.text
    assert (await client.get(url, params={"format": "html"}, headers=am.headers)).text == html.text
    assert (await client.get(url, headers=am.headers)).json()["id"] == digest["id"]
    assert_problem(await client.get(url, headers=dm.headers), 404)

    issued_events = await events.wait_for("tread.market-intel.digest.issued.v1", 2)
    assert len(issued_events) == 2
    assert {e["data"]["subscriber_id"] for e in issued_events} == {"am-1", "dm-north"}
    theirs = next(e for e in issued_events if e["data"]["subscriber_id"] == "dm-north")
    assert theirs["data"]["observations"] == 1
