"""The checks every service's suite runs on what a client may send: no date, time or integer
without bounds (its OpenAPI document), no body model taking booleans or integers laxly."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI, Query
from pydantic import BaseModel

from tread_shared.dates import PlausibleDate
from tread_shared.http.inputs import Input, JsonBody
from tread_shared.money import Money
from tread_shared.quantities import Count
from tread_shared.testing.service_checks import (
    assert_bodies_checked,
    assert_inputs_bounded,
    lax_bodies,
    unbounded_inputs,
)


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


class Line(BaseModel):
    done: bool
    price: Money


class Order(JsonBody):
    lines: list[Line]


class CheckedLine(Input):
    done: bool
    price: Money


class CheckedOrder(Input):
    lines: list[CheckedLine] = []
    note: CheckedLine | None = None


def test_a_body_model_not_on_json_body_is_found_at_any_depth() -> None:
    app = FastAPI()

    @app.post("/v1/orders")
    async def create_order(body: Order) -> None:
        return None

    @app.put("/v1/things/{n}")
    async def put_thing(n: int, body: Bare) -> None:
        return None

    assert lax_bodies(app) == [
        "POST /v1/orders body.lines: Line",
        "PUT /v1/things/{n} body: Bare",
    ]


def test_bodies_on_json_body_pass_with_shared_value_types_inside() -> None:
    app = FastAPI()

    @app.post("/v1/orders")
    async def create_order(body: CheckedOrder) -> None:
        return None

    assert lax_bodies(app) == []
    assert_bodies_checked(app)
