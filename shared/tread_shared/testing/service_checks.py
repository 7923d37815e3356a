"""Checks every service's own suite runs: the walking skeleton works in each of them, its
migrations build exactly what its models describe, and what a client sends is bounded and
checked as documented."""

from __future__ import annotations

import asyncio
import json
import typing
from pathlib import Path
from typing import Any

import nats
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from tread_shared.db.migrations import alembic_config
from tread_shared.db.platform_tables import platform_metadata
from tread_shared.http.inputs import JsonBody, _scalar_kinds
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


def unbounded_inputs(document: dict[str, Any]) -> list[str]:
    """Where an OpenAPI ``document`` lets a client send a date or time outside 1900-2199 (one
    not typed :data:`tread_shared.dates.PlausibleDate` / ``PlausibleDateTime``) or an integer
    without a maximum: request bodies and parameters, followed through ``$ref``."""
    components = document.get("components", {}).get("schemas", {})
    found: list[str] = []

    def walk(schema: Any, where: str, seen: frozenset[str]) -> None:
        if isinstance(schema, list):
            for i, item in enumerate(schema):
                walk(item, f"{where}[{i}]", seen)
            return
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                walk(components.get(name, {}), f"{where}→{name}", seen | {name})
            return
        if schema.get("format") in ("date", "date-time") and "formatMinimum" not in schema:
            found.append(f"{where}: {schema['format']} without the 1900-2199 bounds")
        if schema.get("type") == "integer" and "maximum" not in schema:
            found.append(f"{where}: integer without a maximum")
        for key, value in schema.items():
            if key in ("properties", "patternProperties", "$defs"):
                for name, child in value.items():
                    walk(child, f"{where}.{name}", seen)
            elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties", "not"):
                walk(value, where, seen)

    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            here = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and "schema" in parameter:
                    walk(parameter["schema"], f"{here} {parameter.get('name')}", frozenset())
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema"), f"{here} body", frozenset())
    return found


def assert_inputs_bounded(app: FastAPI) -> None:
    """Every date, time and integer a client may send to ``app`` is bounded (see
    :func:`unbounded_inputs`): unbounded, they reach Python's limits (year 10000) or the
    database's (a 64-bit column) as a 500."""
    assert unbounded_inputs(app.openapi()) == []


def lax_bodies(app: FastAPI) -> list[str]:
    """The models of ``app``'s JSON request bodies, and the models inside them, not built on
    :class:`~tread_shared.http.inputs.JsonBody` (which would take ``0`` or ``"yes"`` for a
    boolean field, ``true`` for an integer): all but a shared value type (``tread_shared``,
    e.g. ``Money``) with no boolean or integer field."""
    found: dict[type[BaseModel], str] = {}

    def walk(annotation: Any, where: str) -> None:
        for arm in typing.get_args(annotation):
            walk(arm, where)
        if not isinstance(annotation, type) or not issubclass(annotation, BaseModel):
            return
        if annotation in found:
            return
        found[annotation] = where
        for name, field in annotation.model_fields.items():
            walk(field.annotation, f"{where}.{name}")

    for route in app.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            here = f"{'/'.join(sorted(route.methods or ()))} {route.path} body"
            walk(route.body_field.field_info.annotation, here)
    return [
        f"{where}: {model.__qualname__}"
        for model, where in found.items()
        if not issubclass(model, JsonBody)
        and not (model.__module__.startswith("tread_shared.") and not _scalar_kinds(model))
    ]


def assert_bodies_checked(app: FastAPI) -> None:
    """Every model a client sends to ``app`` takes booleans and integers as documented (see
    :func:`lax_bodies`)."""
    assert lax_bodies(app) == []
