"""Checks every service's own suite runs: the walking skeleton works in each of them, and its
migrations build exactly what its models describe."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import nats
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from tread_shared.db.migrations import alembic_config
from tread_shared.db.platform_tables import platform_metadata
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


async def migration_differences(url: str, service: str, metadata: MetaData) -> list[Any]:
    """What the database at ``url`` lacks or has more than ``metadata`` and the platform
    tables describe (alembic's autogenerate comparison, types included)."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "version_table": f"alembic_version_{service.replace('-', '_')}",
            },
        )
        return list(compare_metadata(context, [metadata, platform_metadata]))  # type: ignore[arg-type]

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def assert_migrations_match_models(
    url: str, migrations_dir: Path, service: str, metadata: MetaData
) -> None:
    """The database migrated to head (at ``url``) has exactly the models' tables and indexes;
    down to the first revision and up again, still exactly."""
    assert await migration_differences(url, service, metadata) == []
    config = alembic_config(migrations_dir, url, service)
    await asyncio.to_thread(command.downgrade, config, "0001")
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await migration_differences(url, service, metadata) == []
