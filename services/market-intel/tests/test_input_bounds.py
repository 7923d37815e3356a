"""Dates and times outside what the business can mean are a 422 naming the field, before
anything is looked up or stored (a price from year 1 or to 9999 would overflow the month and
window arithmetic of positioning and outliers)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tread_shared.testing.http import Caller, assert_problem
from tread_shared.testing.service_checks import assert_bodies_checked, assert_inputs_bounded

SOME_ID = "0192f0c4-0000-7000-8000-000000000000"


def test_every_date_time_and_number_of_the_api_is_bounded(app: FastAPI) -> None:
    assert_inputs_bounded(app)


async def test_implausible_dates_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    central = callers["central"].headers
    price = {"list_price": {"amount": "10", "currency": "CNY"}, "valid_from": "0001-01-01"}
    answer = await client.post(f"/v1/products/{SOME_ID}/prices", json=price, headers=central)
    assert_problem(answer, 422)
    for params in ({"product": "X", "to": "9999-12-31"}, {"product": "X", "from": "0001-01-01"}):
        answer = await client.get("/v1/price-positioning", params=params, headers=central)
        assert_problem(answer, 422)
    answer = await client.get(
        f"/v1/products/{SOME_ID}/price", params={"on": "9999-12-31"}, headers=central
    )
    assert_problem(answer, 422)
    observation = {
        "kind": "market_event",
        "territory": "north",
        "observed_at": "0001-01-01T00:00:00+14:00",
        "text": "x",
    }
    answer = await client.post("/v1/observations", json=observation, headers=central)
    problem = assert_problem(answer, 422)
    assert problem["errors"][0]["location"] == ["body", "observed_at"]


def test_every_body_model_takes_booleans_and_integers_as_documented(app: FastAPI) -> None:
    assert_bodies_checked(app)
