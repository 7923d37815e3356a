"""Every date, time and count a client may send is bounded (tread_shared.dates, .quantities);
a number sent as true or false, and a field no body has, are a 422 naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_shared.testing.http import Caller, assert_problem
from tread_shared.testing.service_checks import assert_bodies_checked, assert_inputs_bounded


def test_every_date_and_count_a_client_may_send_is_bounded(app: FastAPI) -> None:
    assert_inputs_bounded(app)


def test_every_body_model_takes_booleans_and_integers_as_documented(app: FastAPI) -> None:
    assert_bodies_checked(app)


QUALITATIVE = {"kind": "qualitative", "statement": "Tidy showroom", "scale_min": 1, "scale_max": 5}


# No body of actionplans has a boolean field: its integers are an objective's scale.
@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"scale_min": True}, ["body", "scale_min"]),
        ({"scale_max": True}, ["body", "scale_max"]),
        ({"scale_min": False}, ["body", "scale_min"]),
    ],
)
async def test_a_scale_sent_as_true_or_false_is_a_422_and_adds_no_objective(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    planner: Any,
    changes: dict[str, Any],
    location: list[str],
) -> None:
    plan = await planner.plan(await accounts.open())

    response = await client.post(
        f"/v1/plans/{plan['id']}/objectives",
        json={**QUALITATIVE, **changes},
        headers=callers["am"].headers,
    )

    problem = assert_problem(response, 422, "validation-error")
    assert [(e["location"], e["message"]) for e in problem["errors"]] == [
        (location, "Value error, should be an integer, not true or false")
    ]
    assert await planner.objectives(plan["id"]) == []


async def test_a_field_no_body_has_is_refused_at_any_depth_and_changes_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, planner: Any
) -> None:
    """Ids, ``version`` or a misspelt field were ignored; the body is refused instead."""
    account_id = await accounts.open()
    plan = await planner.plan(account_id)
    objective = await planner.post(f"/v1/plans/{plan['id']}/objectives", QUALITATIVE)
    stakeholder = {"kind": "user", "id": "lucas", "email": "lucas@example.com"}
    thresholds = {"mode": "percent", "warning": "10", "critical": "25", "colour": "red"}
    meeting = {
        "held_at": "2027-03-01T09:00:00Z",
        "participants": ["Lucas"],
        "evaluations": [{"objective_id": objective["id"], "score": "3", "weight": 2}],
    }
    cases = [
        ("POST", "/v1/plans", planner.plan_body(account_id, version=1), ["body", "version"]),
        (
            "PATCH",
            f"/v1/plans/{plan['id']}",
            {"stakeholders": [stakeholder]},
            ["body", "stakeholders", "0", "email"],
        ),
        (
            "POST",
            f"/v1/plans/{plan['id']}/indicators",
            planner.indicator_body(thresholds=thresholds),
            ["body", "thresholds", "colour"],
        ),
        (
            "POST",
            f"/v1/plans/{plan['id']}/meetings",
            meeting,
            ["body", "evaluations", "0", "weight"],
        ),
    ]

    for method, path, body, location in cases:
        response = await client.request(method, path, json=body, headers=callers["am"].headers)

        problem = assert_problem(response, 422, "validation-error")
        assert [(e["location"], e["type"]) for e in problem["errors"]] == [
            (location, "extra_forbidden")
        ], path
    assert (await planner.call("GET", f"/v1/plans/{plan['id']}"))["version"] == plan["version"]
    assert (await planner.call("GET", f"/v1/plans/{plan['id']}/indicators"))["items"] == []
    assert (await planner.call("GET", f"/v1/plans/{plan['id']}/meetings"))["items"] == []
