"""Consistency with real processes and the real broker: reporting stopped, or killed, while
events keep coming catches up with nothing missing and nothing counted twice; a rebuild while
events keep coming ends with every event in the rebuilt read models once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tread_reporting import MIGRATIONS_DIR
from tread_reporting.settings import Settings
from tread_shared.testing.processes import ServiceProcess

pytestmark = pytest.mark.slow
ACTIVITY_TYPE = "tread.accounts.activity.logged.v1"


@pytest.fixture
def settings(make_settings: Callable[..., Any]) -> Settings:
    built: Settings = make_settings(
        Settings, MIGRATIONS_DIR, central_reports_enabled=False, rebuild_cleanup_delay_seconds=0.2
    )
    return built


@pytest.fixture
def reporting(settings: Settings, tmp_path: Path, kit: SimpleNamespace) -> ServiceProcess:
    return ServiceProcess("tread_reporting", kit.process_env(settings), tmp_path / "reporting.log")


@pytest.fixture
def admin(token_factory: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_factory('admin', sub='admin-1')}"}


@pytest.fixture
async def producers(
    settings: Settings, reporting: ServiceProcess, admin: dict[str, str], kit: SimpleNamespace
) -> AsyncIterator[Any]:
    reporting.start()
    token = admin["Authorization"].split()[1]
    feed = kit.Producers(
        settings.nats_url, settings.nats_subject_root, kit.http_waiter(reporting.base_url, token)
    )
    yield feed
    await feed.close()
    reporting.stop()


async def get(reporting: ServiceProcess, headers: dict[str, str], path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(base_url=reporting.base_url, timeout=10) as client:
        answer = await client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def activities_counted(reporting: ServiceProcess, headers: dict[str, str]) -> int:
    counts = await get(reporting, headers, "/v1/reports/events")
    return next((i["count"] for i in counts["items"] if i["type"] == ACTIVITY_TYPE), 0)


async def test_stopped_or_killed_reporting_catches_up_exactly_once(
    producers: Any, reporting: ServiceProcess, admin: dict[str, str]
) -> None:
    account_id = await producers.account()
    for _ in range(5):
        await producers.publish(producers.visit(account_id), account_id)
    wait_applied, producers.wait_applied = producers.wait_applied, None

    reporting.stop()
    for _ in range(20):
        await producers.publish(producers.visit(account_id), account_id)
    # Republished past the broker's duplicate window: another message id, the same event.
    duplicate = producers.event(producers.visit(account_id), account_id)
    await producers.send(duplicate, msg_id="first")
    await producers.send(duplicate, msg_id="second")
    reporting.start()
    # Killed in the middle of a burst: what it applied stays applied, once.
    last = 0
    for _ in range(200):
        last = await producers.send(producers.event(producers.visit(account_id), account_id))
    await asyncio.sleep(0.3)
    reporting.kill()
    reporting.start()
    await wait_applied(last)

    assert await activities_counted(reporting, admin) == 5 + 20 + 1 + 200
    portfolio = await get(reporting, admin, "/v1/reports/portfolio")
    assert portfolio["total"]["investment"]["spent"]["visits"] == 226
    lag = await get(reporting, admin, "/v1/reports/lag")
    assert lag["behind"] == 0
    assert lag["consumers"][0]["pending"] == 0


async def test_a_rebuild_while_events_keep_coming_holds_each_event_once(
    producers: Any, reporting: ServiceProcess, admin: dict[str, str]
) -> None:
    await producers.partnership_history()
    account_id = await producers.account()
    for _ in range(300):
        await producers.send(producers.event(producers.visit(account_id), account_id), wait=False)
    before = await get(reporting, admin, "/v1/reports/partnerships")

    async def keep_publishing() -> int:
        last = 0
        for _ in range(100):
            last = await producers.send(
                producers.event(producers.visit(account_id), account_id), wait=False
            )
            await asyncio.sleep(0.005)
        return last

    async with httpx.AsyncClient(base_url=reporting.base_url, timeout=10) as client:
        publishing = asyncio.create_task(keep_publishing())
        started = await client.post("/v1/reports/rebuild", headers=admin)
        assert started.status_code == 202, started.text
        while (await client.get("/v1/reports/rebuild", headers=admin)).json()[
            "state"
        ] == "building":
            during = await client.get("/v1/reports/partnerships", headers=admin)
            assert during.status_code == 200
            assert during.json()["items"][: len(before["items"])] == before["items"]
            await asyncio.sleep(0.02)
        status = (await client.get("/v1/reports/rebuild", headers=admin)).json()
        last = await publishing
    assert status["state"] == "active", status
    await producers.wait_applied(last) if producers.wait_applied else None

    assert await activities_counted(reporting, admin) == 400
    portfolio = await get(reporting, admin, "/v1/reports/portfolio", owner_id="am-1")
    assert portfolio["total"]["investment"]["spent"]["visits"] == 400
    after = await get(reporting, admin, "/v1/reports/partnerships")
    assert after["items"] == before["items"]
