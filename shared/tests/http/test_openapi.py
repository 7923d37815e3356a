"""The OpenAPI document completed by the factory, on routes made for the purpose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, TypeAdapter
from tread_notes import MIGRATIONS_DIR
from tread_notes.settings import Settings as NotesSettings

from tread_shared.app import create_service_app
from tread_shared.auth.dependencies import CurrentPrincipal
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
