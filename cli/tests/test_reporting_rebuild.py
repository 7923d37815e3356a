"""``tread reporting rebuild`` against a running reporting service, and reporting's dead letters
in ``tread status``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import nats
import pytest

from tread_cli.main import main
from tread_cli.status import broker_status, format_status
from tread_reporting import MIGRATIONS_DIR
from tread_reporting.app import create_app
from tread_reporting.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.accounts import AccountCreated, AccountDirectoryEntry
from tread_shared.testing.plugin import serve_in_process


def account_created(name: str) -> CloudEvent:
    entry = AccountDirectoryEntry(
        account_id=uuid.uuid4(),
        version=1,
        name=name,
        kind="dealer",
        status="active",
        territory="north",
        owner_id="am-1",
        updated_at=utcnow(),
    )
    payload = AccountCreated(account=entry)
    return CloudEvent(
        source="accounts",
        type=payload.event_type(),
        subject=str(entry.account_id),
        data=payload.model_dump(mode="json"),
    )


async def publish(settings: Settings, *events: CloudEvent) -> int:
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        last = 0
        for event in events:
            ack = await js.publish(
                nats_subject_for(event.type, settings.nats_subject_root),
                event.model_dump_json().encode(),
                headers={"Nats-Msg-Id": event.id},
            )
            last = ack.seq
        return last
    finally:
        await nc.close()


@pytest.fixture
def settings(make_settings: Callable[..., Any]) -> Settings:
    built: Settings = make_settings(Settings, MIGRATIONS_DIR, central_reports_enabled=False)
    return built


async def until(check: Callable[[], bool]) -> None:
    for _ in range(300):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def test_tread_reporting_rebuild_replays_into_fresh_read_models(
    settings: Settings,
    token_factory: Callable[..., str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPORTING_REBUILD_CLEANUP_DELAY_SECONDS", "0")
    app = create_app(settings)
    admin = {"Authorization": f"Bearer {token_factory('admin', sub='admin-1')}"}
    async with serve_in_process(app) as client:
        await app.state.runtime.broker.wait_ready()
        last = await publish(settings, *(account_created(f"Dealer {n}") for n in range(5)))
        consumer = app.state.runtime.consumers[0]
        await until(lambda: consumer.last_stream_seq >= last)
        before = (await client.get("/v1/reports/partnerships", headers=admin)).json()

        argv = [
            "reporting",
            "rebuild",
            "--database-url",
            settings.database_url,
            "--nats",
            settings.nats_url,
            "--stream",
            settings.nats_stream,
            "--subject-root",
            settings.nats_subject_root,
        ]
        with pytest.raises(SystemExit) as exit_:
            await asyncio.to_thread(main, argv)

        assert exit_.value.code == 0
        printed = capsys.readouterr().out
        assert "generation 2 is active" in printed
        status = (await client.get("/v1/reports/rebuild", headers=admin)).json()
        assert (status["generation"], status["state"]) == (2, "active")
        assert status["requested_by"].startswith("tread cli")
        after = (await client.get("/v1/reports/partnerships", headers=admin)).json()
        assert after["items"] == before["items"]
        assert len(after["items"]) == 5


async def test_an_event_reporting_cannot_apply_shows_in_tread_status(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(settings)
    async with serve_in_process(app):
        await app.state.runtime.broker.wait_ready()
        broken = CloudEvent(
            source="contracts",
            type="tread.contracts.audit.completed.v1",
            subject=str(uuid.uuid4()),
            data={"audit_id": "?"},
        )
        await publish(settings, broken)
        good = await publish(settings, account_created("After the broken one"))
        consumer = app.state.runtime.consumers[0]
        await until(lambda: consumer.last_stream_seq >= good)

        # The consumer acknowledges just after its commit: let the broker see the ack.
        expected = "consumer reporting: 0 not yet delivered, 0 awaiting ack, 1 dead-lettered"
        for _ in range(50):
            report = await broker_status(settings.nats_url, settings.nats_stream)
            text = format_status({"running": False, "var_dir": "/x", "broker": report})
            if expected in text:
                break
            await asyncio.sleep(0.1)

    assert report["dead_letters"] == {"reporting": 1}
    assert consumer.dead_lettered == 1
    assert expected in text
