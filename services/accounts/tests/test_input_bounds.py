"""Dates, times and counts outside what the business can mean, and flags and numbers of the
wrong JSON type, are a 422 naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_shared.testing.http import Caller, assert_problem
from tread_shared.testing.service_checks import assert_bodies_checked, assert_inputs_bounded

ACTIVITY = {"type": "visit", "started_at": "2026-11-27T02:00:00Z", "duration_minutes": 60}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"started_at": "0001-01-01T00:00:00+14:00"}, ["body", "started_at"]),
        ({"started_at": "-100000000000"}, ["body", "started_at"]),
        (
            {"follow_ups": [{"action": "Call back", "due_on": "9999-12-31"}]},
            ["body", "follow_ups", "0", "due_on"],
        ),
        # A flag sent as a number, a number as a flag.
        ({"duration_minutes": True}, ["body", "duration_minutes"]),
        (
            {"follow_ups": [{"action": "Call back", "due_on": "2027-01-10", "done": 0}]},
            ["body", "follow_ups", "0", "done"],
        ),
    ],
)
async def test_an_impossible_activity_value_is_a_422_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient,
    portfolio: Any,
    am: Caller,
    changes: dict[str, Any],
    field: list[str],
) -> None:
    account = await portfolio.account(by=am)
    url = f"/v1/accounts/{account['id']}/activities"

    response = await client.post(url, json={**ACTIVITY, **changes}, headers=am.headers)

    problem = assert_problem(response, 422, "validation-error")
    assert [error["location"] for error in problem["errors"]] == [field]
    assert (await client.get(url, headers=am.headers)).json()["items"] == []


async def test_list_times_outside_1900_to_2199_are_a_422(
    client: httpx.AsyncClient, am: Caller
) -> None:
    for query in (
        "updated_since=0001-01-01T00:00:00%2B14:00",
        "started_from=9999-12-31T23:59:59-14:00",
    ):
        path = "/v1/activities" if query.startswith("started") else "/v1/accounts"
        response = await client.get(f"{path}?{query}", headers=am.headers)
        assert_problem(response, 422, "validation-error")


def test_every_date_and_count_a_client_may_send_is_bounded(app: FastAPI) -> None:
    assert_inputs_bounded(app)


def test_every_body_model_takes_booleans_and_integers_as_documented(app: FastAPI) -> None:
    assert_bodies_checked(app)
