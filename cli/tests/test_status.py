from pathlib import Path

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from tread_cli.main import main
from tread_cli.status import broker_status, format_status
from tread_shared.events.broker import dead_letter_subject, ensure_streams
from tread_shared.settings import ServiceSettings
from tread_shared.testing.nats_server import free_port


async def test_stream_size_consumer_lag_and_dead_letters(
    nats_url: str, event_namespace: dict[str, str]
) -> None:
    settings = ServiceSettings.model_validate(event_namespace)
    root, stream = settings.nats_subject_root, settings.nats_stream
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_streams(js, settings)
        for number in range(3):
            await js.publish(f"{root}.accounts.account.created", f"{number}".encode())
        await js.add_consumer(
            stream,
            ConsumerConfig(durable_name="reporting", ack_policy=AckPolicy.EXPLICIT),
        )
        pull = await js.pull_subscribe_bind("reporting", stream)
        await pull.fetch(1, timeout=2)  # delivered, never acknowledged
        await js.publish(dead_letter_subject(settings, "reporting"), b"poison")

        report = await broker_status(nats_url, stream)
    finally:
        await nc.close()

    assert report["stream"].pop("leader")  # the one server
    assert report["stream"] == {
        "name": stream,
        "messages": 3,
        "last_sequence": 3,
        "replicas": 1,
        "followers": [],
    }
    [reporting] = report["consumers"]
    assert (reporting["name"], reporting["pending"], reporting["ack_pending"]) == (
        "reporting",
        2,
        1,
    )
    assert report["dead_letters"] == {"reporting": 1}
    text = format_status({"running": False, "var_dir": "/x", "broker": report})
    assert "2 not yet delivered, 1 awaiting ack, 1 dead-lettered" in text


async def test_an_unreachable_broker_is_reported_not_raised() -> None:
    report = await broker_status(f"nats://127.0.0.1:{free_port()}", "TREAD")

    assert "not reachable" in report["error"]


def test_status_says_when_nothing_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--var-dir", str(tmp_path)])

    assert exit_.value.code == 1
    assert "tread up is not running" in capsys.readouterr().out
