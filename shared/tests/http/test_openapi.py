"""The OpenAPI document completed by the factory, on routes made for the purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, TypeAdapter
from tread_notes import MIGRATIONS_DIR
from tread_notes.settings import Settings as NotesSettings

from tread_shared.app import create_service_app
from tread_shared.auth.dependencies import CurrentPrincipal
from tread_shared.errors import PreconditionFailed
from tread_shared.http.etag import check_if_match, check_if_match_when_sent
from tread_shared.http.openapi import raw_body


class Amount(BaseModel):
    value: int


class Webhook(BaseModel):
    id: str
    amount: Amount


def test_a_raw_body_is_documented_by_reference_to_its_models(
    make_settings: Callable[..., Any],
) -> None:
    router = APIRouter(prefix="/v1")

    @router.post("/hooks", openapi_extra=raw_body(TypeAdapter(Webhook)))
    async def receive_hook(_caller: CurrentPrincipal) -> None:
        return None

    app = create_service_app(
        make_settings(NotesSettings, MIGRATIONS_DIR), title="hooks", routers=[router]
    )
    openapi = app.openapi()

    operation = openapi["paths"]["/v1/hooks"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Webhook"
    }
    assert {"Webhook", "Amount"} <= set(openapi["components"]["schemas"])
    assert not [key for key in operation if key.startswith("x-")]


def test_if_match_is_documented_as_each_route_asks_for_it(
    make_settings: Callable[..., Any],
) -> None:
    router = APIRouter(prefix="/v1")
    tag = {"id": "a1", "version": 1}

    @router.put("/always")
    async def replace_always(request: Request, _caller: CurrentPrincipal) -> None:
        check_if_match(request, tag["id"], tag["version"])

    @router.put("/after-the-first")
    async def replace_after_the_first(request: Request, _caller: CurrentPrincipal) -> None:
        if tag["version"] > 1:
            check_if_match(request, tag["id"], tag["version"])
        elif request.headers.get("if-match") is not None:
            raise PreconditionFailed("Nothing to match yet.")

    @router.post("/when-sent")
    async def move_when_sent(request: Request, _caller: CurrentPrincipal) -> None:
        check_if_match_when_sent(request, tag["id"], tag["version"])

    app = create_service_app(
        make_settings(NotesSettings, MIGRATIONS_DIR), title="tags", routers=[router]
    )
    paths = app.openapi()["paths"]

    def documented(path: str, method: str) -> tuple[bool, bool, bool]:
        operation = paths[path][method]
        [header] = [p for p in operation["parameters"] if p["name"] == "If-Match"]
        return header["required"], "412" in operation["responses"], "428" in operation["responses"]

    # (header required, 412 documented, 428 documented)
    assert documented("/v1/always", "put") == (True, True, True)
    # Needed on some paths only: not required, but a request without it can get a 428.
    assert documented("/v1/after-the-first", "put") == (False, True, True)
    assert documented("/v1/when-sent", "post") == (False, True, False)
