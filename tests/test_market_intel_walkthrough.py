"""The market-intel walk-through, with contracts and reporting running (in-process, one
broker): a catalogue imported from CSV reaches contracts by events, an offer takes a catalogue
product at its list price in force, the field's observations give the price positioning (and
its band event), a validated argument, a weekly digest, reporting's market view and the central
report's market section — every step announced on the stream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tread_contracts import MIGRATIONS_DIR as CONTRACTS_MIGRATIONS
from tread_contracts.app import create_app as create_contracts
from tread_contracts.settings import Settings as ContractsSettings
from tread_market_intel import MIGRATIONS_DIR as MARKET_MIGRATIONS
from tread_market_intel.app import create_app as create_market_intel
from tread_market_intel.digests.service import issue_weekly_digests
from tread_market_intel.settings import Settings as MarketSettings
from tread_reporting import MIGRATIONS_DIR as REPORTING_MIGRATIONS
from tread_reporting.app import create_app as create_reporting
from tread_reporting.settings import Settings as ReportingSettings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.accounts import AccountCreated, AccountDirectoryEntry
from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller
from tread_shared.testing.plugin import serve_in_process

CATALOGUE = (
    "code,kind,brand,range,name,width,aspect_ratio,rim,load_index,speed_index,usage_types,"
    "status,list_price,currency,territory,valid_from,valid_to\n"
    "TR-315/80R22.5-XMD,tyre,Tread,X Multi,X Multi D 315/80R22.5,315,80,22.5,156/150,L,"
    "long_haul,active,2000.00,CNY,,2026-01-01,\n"
    "TR-315/80R22.5-XMD,tyre,Tread,X Multi,X Multi D 315/80R22.5,315,80,22.5,156/150,L,"
    "long_haul,active,2080.00,CNY,north,2026-01-01,\n"
    "RT-315/80R22.5-XMD,retread,Tread,X Multi,X Multi D retread,315,80,22.5,156/150,L,"
    "long_haul;regional,active,1100.00,CNY,,2026-01-01,\n"
)
CODE = "TR-315/80R22.5-XMD"


@pytest.fixture
async def services(
    make_settings: Callable[..., Any],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, httpx.AsyncClient, Any, Any]]:
    market_settings = make_settings(
        MarketSettings, MARKET_MIGRATIONS, digest_schedule_enabled=False
    )
    contracts_settings = make_settings(
        ContractsSettings, CONTRACTS_MIGRATIONS, schedule_enabled=False, catalogue_check=True
    )
    reporting_settings = make_settings(
        ReportingSettings, REPORTING_MIGRATIONS, central_reports_enabled=False
    )
    market_app = create_market_intel(market_settings)
    contracts_app = create_contracts(contracts_settings)
    async with (
        serve_in_process(market_app) as market,
        serve_in_process(contracts_app) as contracts,
        serve_in_process(create_reporting(reporting_settings)) as reporting,
    ):
        yield market, contracts, reporting, market_app, market_settings


async def _open_account(settings: Any, runtime: Any) -> uuid.UUID:
    """As the accounts service would: its event, into the stream both services read."""
    entry = AccountDirectoryEntry(
        account_id=uuid.uuid4(),
        version=1,
        name="Huatai Fleet Tyres",
        kind="dealer",
        status="active",
        territory="north",
        owner_id="am-1",
        key_account_manager_id=None,
        updated_at=utcnow(),
    )
    event = CloudEvent(
        source="accounts",
        type=AccountCreated.event_type(),
        subject=str(entry.account_id),
        data=AccountCreated(account=entry).model_dump(mode="json"),
    )
    js = await runtime.broker.wait_ready()
    await js.publish(
        nats_subject_for(event.type, settings.nats_subject_root),
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.id},
    )
    return entry.account_id


async def _until(attempt: Callable[[], Any], done: Callable[[httpx.Response], bool]) -> Any:
    """``attempt()`` until its answer is ``done`` (events take a moment to arrive), 10 s."""
    for _ in range(200):
        answer = await attempt()
        if done(answer):
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"never done: {answer.status_code} {answer.text}")


async def test_from_catalogue_import_to_offer_positioning_and_digest(
    services: tuple[httpx.AsyncClient, httpx.AsyncClient, httpx.AsyncClient, Any, Any],
    caller: Callable[..., Caller],
) -> None:
    market, contracts, reporting, market_app, settings = services
    central = caller("central", sub="central-1")
    am = caller("account_manager", sub="am-1", territories=["north"])
    stream = EventStream(settings.nats_url, settings.nats_stream)
    try:
        # 1. Central imports the catalogue.
        imported = await market.post(
            "/v1/products/imports",
            content=CATALOGUE.encode(),
            headers=central.with_(**{"Content-Type": "text/csv"}),
        )
        assert imported.status_code == 201, imported.text
        assert imported.json()["products_created"] == 2
        await stream.wait_for("tread.market-intel.product.created.v1", 2)
        await stream.wait_for("tread.market-intel.price_list.changed.v1", 3)

        # 2. An account in the north; an offer on a catalogue product, no price typed.
        account_id = await _open_account(settings, market_app.state.runtime)
        body = {
            "account_id": str(account_id),
            "valid_until": (utcnow().date() + timedelta(days=30)).isoformat(),
            "lines": [{"product_code": CODE, "quantity": 40, "discount_pct": "5"}],
        }
        offer = await _until(
            lambda: contracts.post("/v1/offers", json=body, headers=am.headers),
            lambda answer: answer.status_code == 201,
        )
        assert offer.json()["lines"][0]["list_price"] == {"amount": "2080.00", "currency": "CNY"}
        assert offer.json()["net_total"] == {"amount": "79040.00", "currency": "CNY"}
        (submitted,) = await stream.wait_for("tread.contracts.offer.submitted.v1")
        assert submitted["data"]["lines"][0]["list_price"]["amount"] == "2080.00"

        # 3. The field's observations: two months of a competitor's prices.
        now = utcnow()
        last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=10, hour=8)
        this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for when, amount in (
            (last_month, "1900.00"),
            (last_month + timedelta(days=1), "1950.00"),
            (this_month, "2350.00"),
            (this_month, "2400.00"),
        ):
            observed = await market.post(
                "/v1/observations",
                json={
                    "kind": "competitor_price",
                    "territory": "north",
                    "account_id": str(account_id),
                    "product_code": CODE,
                    "competitor": "Rival",
                    "observed_price": {"amount": amount, "currency": "CNY"},
                    "observed_at": when.isoformat(),
                    "source": "dealer quote",
                    "confidence": "high",
                },
                headers=am.headers,
            )
            assert observed.status_code == 201, observed.text
        await stream.wait_for("tread.market-intel.observation.recorded.v1", 4)

        # 4. The positioning answer and the band crossed this month.
        positioning = await market.get(
            "/v1/price-positioning",
            params={"product": CODE, "territory": "north"},
            headers=am.headers,
        )
        months = positioning.json()["months"]
        assert [m["index"] for m in months] == ["92.5", "114.2"]
        assert months[1]["band"] == "above" and months[1]["trend"] == "21.7"
        (crossed,) = await stream.wait_for("tread.market-intel.price_positioning.changed.v1")
        assert (crossed["data"]["band"], crossed["data"]["previous_band"]) == ("above", "within")

        # 5. An argument for this product and usage, validated by central.
        argument = await market.post(
            "/v1/arguments",
            json={
                "product_code": CODE,
                "usage_type": "long_haul",
                "title": "Two retreads per casing",
                "claim": "The casing takes two retreads: the lowest cost per km on long haul.",
            },
            headers=central.headers,
        )
        url = f"/v1/arguments/{argument.json()['id']}"
        for step in ("submitted", "validated"):
            moved = await market.patch(
                url, json={"status": step}, headers=central.with_(**{"If-Match": "*"})
            )
            assert moved.status_code == 200, moved.text
        for_fleet = await market.get(
            "/v1/arguments",
            params={"product_code": CODE, "usage_type": "long_haul"},
            headers=am.headers,
        )
        assert [a["title"] for a in for_fleet.json()["items"]] == ["Two retreads per casing"]
        await stream.wait_for("tread.market-intel.argument.validated.v1")

        # 6. A subscription and next week's digest.
        subscribed = await market.post(
            "/v1/subscriptions", json={"competitors": ["Rival"]}, headers=am.headers
        )
        assert subscribed.status_code == 201
        runtime = market_app.state.runtime
        next_week = now.date() + timedelta(days=7)
        assert await issue_weekly_digests(runtime.db, runtime.outbox, next_week) == 1
        (issued,) = await stream.wait_for("tread.market-intel.digest.issued.v1")
        assert issued["data"]["observations"] == 4
        assert issued["data"]["positioning_changes"] == 1
        html = await market.get(
            issued["data"]["path"], params={"format": "html"}, headers=am.headers
        )
        assert "Two retreads per casing" in html.text and "Rival" in html.text

        # 7. Reporting's market view, fed by the same events.
        view = await _until(
            lambda: reporting.get(
                "/v1/reports/market",
                params={"from": last_month.date().isoformat()},
                headers=central.headers,
            ),
            lambda answer: answer.status_code == 200 and answer.json()["top_moves"],
        )
        assert view.json()["observations"] == [
            {"territory": "north", "kind": "competitor_price", "observations": 4, "outliers": 0}
        ]
        (range_view,) = view.json()["positioning"]
        assert (range_view["range"], range_view["above"]) == ("X Multi", 1)

        # 8. The central report's market section: this month's observations and the band
        # crossing. Last month's prices were entered this month: last month's report, closed
        # before they were, does not count them (regenerated, it says what it said then).
        report = await reporting.get(
            "/v1/reports/central",
            params={"period": this_month.strftime("%Y-%m")},
            headers=central.headers,
        )
        assert report.status_code == 200, report.text
        section = report.json()["market"]
        assert section["observations"] == [
            {"territory": "north", "kind": "competitor_price", "observations": 2, "outliers": 0}
        ]
        (moved,) = section["top_moves"]
        assert (moved["product_code"], moved["band"]) == (CODE, "above")
        assert section["competitors"] == [
            {"competitor": "Rival", "observations": 2, "territories": 1}
        ]
        earlier = await reporting.get(
            "/v1/reports/central",
            params={"period": last_month.strftime("%Y-%m")},
            headers=central.headers,
        )
        assert earlier.json()["market"]["observations"] == []
    finally:
        await stream.close()
