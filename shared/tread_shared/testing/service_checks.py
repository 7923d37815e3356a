"""Checks every service's own suite runs: the walking skeleton works in each of them."""

from __future__ import annotations

import asyncio
import json

import nats
from fastapi import FastAPI

from tread_shared.settings import ServiceSettings
from tread_shared.testing.plugin import serve_in_process


async def assert_walking_skeleton(app: FastAPI, settings: ServiceSettings, token: str) -> None:
    """Health, readiness (database and broker), metrics, problem details for unknown routes,
    and the ``tread.<service>.instance.started.v1`` event reaching the stream."""
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    try:
        async with serve_in_process(app) as client:
            assert (await client.get("/healthz")).json()["status"] == "ok"
            for _ in range(100):
                ready = await client.get("/readyz")
                if ready.status_code == 200:
                    break
                await asyncio.sleep(0.05)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
            missing = await client.get(
                "/v1/no-such-thing", headers={"Authorization": f"Bearer {token}"}
            )
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
            assert missing.json()["status"] == 404
            metrics = await client.get("/metrics")
            assert "tread_http_requests_total" in metrics.text

            subject = f"{settings.nats_subject_root}.{settings.service_name}.instance.started"
            sub = await js.subscribe(subject, stream=settings.nats_stream, ordered_consumer=True)
            message = await sub.next_msg(timeout=5)
            event = json.loads(message.data)
            assert event["type"] == f"tread.{settings.service_name}.instance.started.v1"
            assert event["data"]["instance_id"] == settings.instance_id
            assert message.headers is not None
            assert message.headers["Nats-Msg-Id"] == event["id"]
    finally:
        await nc.close()
