from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tread_reporting.central.production import closed_periods, produce_closed_reports
from tread_reporting.periods import Period
from tread_reporting.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


def after_this_month_closes() -> tuple[datetime, list[str]]:
    """A moment two hours after this month ends, and the periods closed by then."""
    month = Period.month_of(utcnow().date())
    closed = [month.key]
    if month.end.month in (1, 4, 7, 10):
        closed.append(Period.quarter_of(month.start).key)
    return month.ends_at + timedelta(hours=2), closed


def test_closed_periods_are_the_last_months_and_quarters_past_the_grace() -> None:
    now = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    keys = [p.key for p in closed_periods(now, timedelta(hours=1), 3)]
    # December has not been closed for an hour yet.
    assert keys == ["2026-09", "2026-Q3", "2026-10", "2026-11"]
    keys = [p.key for p in closed_periods(now + timedelta(hours=1), timedelta(hours=1), 2)]
    assert keys == ["2026-11", "2026-12", "2026-Q4"]


async def test_each_closed_period_is_produced_once_stored_and_announced(
    app: FastAPI,
    client: httpx.AsyncClient,
    producers: Any,
    callers: dict[str, Caller],
    settings: Settings,
) -> None:
    account_id = await producers.account(name="Signed Dealer")
    await producers.active_contract(account_id)
    runtime = app.state.runtime
    moment, expected = after_this_month_closes()

    # Two replicas' jobs at the same moment: one stores each period.
    first, second = await asyncio.gather(
        produce_closed_reports(runtime, moment), produce_closed_reports(runtime, moment)
    )
    assert sorted(first + second) == sorted(expected)
    assert await produce_closed_reports(runtime, moment + timedelta(hours=1)) == []

    stream = EventStream(settings.nats_url, settings.nats_stream)
    try:
        [event] = await stream.wait_for(
            "tread.reporting.central_report.produced",
            where=lambda e: e["data"]["period"] == expected[0],
        )
    finally:
        await stream.close()
    assert event["data"]["figures"]["contracts_signed"] == 1
    download = event["data"]["download_path"]

    listed = (
        await client.get("/v1/reports/central/archive", headers=callers["central"].headers)
    ).json()
    assert sorted(item["period"] for item in listed["items"]) == sorted(expected)

    stored = await client.get(download, headers=callers["central"].headers)
    assert stored.status_code == 200
    assert stored.json()["summary"]["contracts_signed"] == 1
    assert stored.json()["partnerships"][0]["account_name"] == "Signed Dealer"
    # Stored compared with the same period a year earlier (nothing then), subtotals too.
    assert stored.json()["year_earlier"]["partnerships_in_force"] == 0
    (north,) = stored.json()["by_territory"]
    assert north["year_earlier"]["partnerships_in_force"] == 0
    as_pdf = await client.get(
        download, headers={**callers["central"].headers, "Accept": "application/pdf"}
    )
    assert as_pdf.content.startswith(b"%PDF-")
    as_csv = await client.get(
        download, params={"format": "csv"}, headers=callers["central"].headers
    )
    assert "Signed Dealer" in as_csv.text
    assert "year_earlier_partnerships_in_force" in as_csv.text

    assert_problem(await client.get(download, headers=callers["am"].headers), 403)
    assert_problem(
        await client.get("/v1/reports/central/archive/1999-01", headers=callers["admin"].headers),
        404,
    )


async def test_no_report_before_anything_happened(app: FastAPI, client: httpx.AsyncClient) -> None:
    moment, _ = after_this_month_closes()
    # Only the service's own start was recorded this month: last month had no events at all.
    produced = await produce_closed_reports(app.state.runtime, moment - timedelta(days=40))
    assert produced == []
