"""What every service gets from ``create_service_app``: an OpenAPI document clients can be
generated from, and a clean start and stop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from tread_notes import MIGRATIONS_DIR
from tread_notes.app import create_app
from tread_notes.settings import Settings as NotesSettings

from tread_shared.app import create_service_app
from tread_shared.testing.plugin import ready_answer, serve_in_process

PROBLEM = {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}


def _operations(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in openapi["paths"].values() for op in path.values()]


async def test_operation_ids_are_unique_and_the_route_functions_names(
    notes: httpx.AsyncClient,
) -> None:
    openapi = (await notes.get("/openapi.json")).json()

    operation_ids = [op["operationId"] for op in _operations(openapi)]
    assert len(operation_ids) == len(set(operation_ids))
    assert {"create_note", "list_notes", "get_note", "revise_note", "delete_note"} <= set(
        operation_ids
    )
    assert {"health_check", "readiness_check"} <= set(operation_ids)


async def test_every_operation_documents_its_errors_as_problem_documents(
    notes: httpx.AsyncClient,
) -> None:
    openapi = (await notes.get("/openapi.json")).json()

    for operation in _operations(openapi):
        responses = operation["responses"]
        errors = {code: r for code, r in responses.items() if code[0] in "45"}
        assert {"4XX", "5XX"} <= set(errors), operation["operationId"]
        for code, response in errors.items():
            assert response["content"] == {"application/problem+json": PROBLEM}, (
                operation["operationId"],
                code,
            )
    problem = openapi["components"]["schemas"]["ProblemDocument"]
    assert {"type", "title", "status"} <= set(problem["required"])
    assert {"detail", "instance", "request_id", "errors"} <= set(problem["properties"])
    assert "HTTPValidationError" not in openapi["components"]["schemas"]


def test_two_routes_with_one_operation_id_are_refused_when_the_app_is_built(
    make_settings: Callable[..., Any],
) -> None:
    first, second = APIRouter(prefix="/v1/tyres"), APIRouter(prefix="/v1/rims")

    @first.get("")
    async def list_items() -> list[str]:
        return []

    second.add_api_route("", list_items, methods=["GET"])

    settings = make_settings(NotesSettings, MIGRATIONS_DIR)
    with pytest.raises(ValueError, match="list_items"):
        create_service_app(settings, title="clash", routers=[first, second])


async def test_the_service_starts_and_stops_promptly(make_settings: Callable[..., Any]) -> None:
    """Its relay and consumers are cancelled for good, even when a cancellation is swallowed
    (Python 3.11's ``asyncio.wait_for`` can) — a stop must never hang."""
    settings = make_settings(NotesSettings, MIGRATIONS_DIR)
    for _ in range(3):
        async with serve_in_process(create_app(settings)) as notes:
            # Ready: the broker is connected and the relay runs.
            assert (await ready_answer(notes)).status_code == 200
            stopping = time.monotonic()
        assert time.monotonic() - stopping < 2.0
