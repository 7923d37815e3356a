"""``/healthz`` (the process answers) and ``/readyz`` (database and broker reachable)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

health_router = APIRouter(tags=["operations"])


@health_router.get("/healthz", operation_id="health_check", summary="Is the process alive")
async def healthz(request: Request) -> dict[str, Any]:
    """200 as long as the process answers."""
    settings = request.app.state.settings
    return {"status": "ok", "service": settings.service_name, "instance": settings.instance_id}


def broker_optional(request: Request) -> bool:
    return request.query_params.get("broker") == "optional"


@health_router.get(
    "/readyz",
    operation_id="readiness_check",
    summary="Can the service take requests",
    responses={503: {"description": "Not ready: the checks say what is missing"}},
)
async def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and the broker is connected, else 503 with the checks.

    A broker outage makes the service not ready without stopping writes: events wait in the
    outbox. ``?broker=optional`` (the gateway's health check) leaves the broker out of the
    answer, so that a broker outage does not take every replica out of rotation."""
    checks: dict[str, str] = {}
    timeout = request.app.state.settings.readiness_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            async with request.app.state.db.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(exc).__name__}"
    broker = request.app.state.broker
    if broker is None:
        checks["broker"] = "disabled"
    else:
        checks["broker"] = "ok" if broker.connected and broker.ready.is_set() else "unavailable"
    required = {k: v for k, v in checks.items() if k != "broker" or not broker_optional(request)}
    ready = all(value in ("ok", "disabled") for value in required.values())
    return JSONResponse(
        {"status": "ready" if ready else "not-ready", "checks": checks},
        status_code=200 if ready else 503,
    )
