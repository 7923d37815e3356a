"""What every service gets from ``create_service_app``: an OpenAPI document clients can be
generated from, and a clean start and stop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from tread_notes import MIGRATIONS_DIR, probes
from tread_notes.app import create_app
from tread_notes.notes.router import router as notes_router
from tread_notes.settings import Settings as NotesSettings

from tread_shared.app import create_service_app, human_operation_id, include_flat
from tread_shared.errors import PROBLEM_RESPONSES
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
        for code, response in errors.items():
            assert response["content"] == {"application/problem+json": PROBLEM}, (
                operation["operationId"],
                code,
            )
    problem = openapi["components"]["schemas"]["ProblemDocument"]
    assert {"type", "title", "status"} <= set(problem["required"])
    assert {"detail", "instance", "request_id", "errors"} <= set(problem["properties"])
    assert "HTTPValidationError" not in openapi["components"]["schemas"]


async def test_each_operation_names_the_statuses_and_headers_it_really_answers(
    notes: httpx.AsyncClient,
) -> None:
    openapi = (await notes.get("/openapi.json")).json()
    create = openapi["paths"]["/v1/notes"]["post"]
    read = openapi["paths"]["/v1/notes/{note_id}"]["get"]
    revise = openapi["paths"]["/v1/notes/{note_id}"]["patch"]
    delete = openapi["paths"]["/v1/notes/{note_id}"]["delete"]

    def headers(operation: dict[str, Any]) -> dict[str, bool]:
        return {p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "header"}

    expected = {"201", "400", "401", "403", "409", "413", "422", "431", "503"}
    assert expected <= set(create["responses"])
    assert set(create["responses"]["201"]["headers"]) == {
        "Location",
        "ETag",
        "Idempotent-Replayed",
    }
    assert headers(create) == {"Idempotency-Key": False}
    assert "Retry-After" in create["responses"]["503"]["headers"]
    assert {"200", "404"} <= set(read["responses"])
    assert "ETag" in read["responses"]["200"]["headers"]
    assert "409" not in read["responses"]
    assert headers(revise) == {"If-Match": True}
    assert headers(delete) == {"If-Match": True}
    assert {"412", "428"} <= set(revise["responses"]) & set(delete["responses"])
    assert not any(code.endswith("XX") for op in _operations(openapi) for code in op["responses"])


async def test_the_document_declares_bearer_tokens_and_the_gateway(
    notes: httpx.AsyncClient,
) -> None:
    openapi = (await notes.get("/openapi.json")).json()

    assert openapi["servers"] == [{"url": "/", "description": "The gateway"}]
    scheme = openapi["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert openapi["paths"]["/v1/notes"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in openapi["paths"]["/healthz"]["get"]


async def test_one_schema_name_per_model_and_summaries_in_words(
    notes: httpx.AsyncClient,
) -> None:
    openapi = (await notes.get("/openapi.json")).json()

    names = list(openapi["components"]["schemas"])
    assert [n for n in names if n.endswith(("-Input", "-Output"))] == []
    summaries = {op["operationId"]: op["summary"] for op in _operations(openapi)}
    assert summaries["create_note"] == "Write a note"
    assert summaries["get_note"] == "Get note"


def test_two_routes_with_one_operation_id_are_refused_when_the_app_is_built(
    make_settings: Callable[..., Any],
) -> None:
    first, second = APIRouter(prefix="/v1/tyres"), APIRouter(prefix="/v1/rims")

    @first.get("")
    async def list_items() -> list[str]:
        return []

    second.add_api_route("", list_items, methods=["GET"])

    settings = make_settings(NotesSettings, MIGRATIONS_DIR)
    for _ in range(2):  # the check is remembered only for routers that passed it
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


def test_routes_made_the_app_s_own_are_documented_as_included_routers_would_be() -> None:
    # A route option include_flat did not carry over would change the document.
    def app_with(include: Callable[[FastAPI, APIRouter], None]) -> FastAPI:
        app = FastAPI(responses=PROBLEM_RESPONSES, generate_unique_id_function=human_operation_id)
        for router in (notes_router, probes.router):
            include(app, router)
        return app

    included = app_with(lambda app, router: app.include_router(router))
    flat = app_with(include_flat)

    assert flat.openapi() == included.openapi()
    assert len(flat.openapi()["paths"]) >= 3
