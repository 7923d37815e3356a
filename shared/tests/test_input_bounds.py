"""The check every service's suite runs on its OpenAPI document: no date, time or integer a
client may send without bounds."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI, Query
from pydantic import BaseModel

from tread_shared.dates import PlausibleDate
from tread_shared.quantities import Count
from tread_shared.testing.service_checks import assert_inputs_bounded, unbounded_inputs


class Bare(BaseModel):
    due_on: date
    units: int


class Bounded(BaseModel):
    due_on: PlausibleDate
    units: Count


def _bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/things")
    async def create_thing(body: Bare, on: date | None = Query(None)) -> None:
        return None

    return app


def _bounded_app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/things")
    async def create_thing(body: Bounded, on: PlausibleDate | None = Query(None)) -> None:
        return None

    return app


def test_bare_dates_and_integers_in_bodies_and_queries_are_found() -> None:
    found = unbounded_inputs(_bare_app().openapi())

    assert found == [
        "POST /v1/things on[0]: date without the 1900-2199 bounds",
        "POST /v1/things body→Bare.due_on: date without the 1900-2199 bounds",
        "POST /v1/things body→Bare.units: integer without a maximum",
    ]


def test_the_shared_types_pass(notes_app: FastAPI) -> None:
    assert unbounded_inputs(_bounded_app().openapi()) == []
    assert_inputs_bounded(notes_app)
