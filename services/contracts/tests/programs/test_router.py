from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

GOLD: dict[str, Any] = {
    "code": "gold",
    "min_annual_volume": 5000,
    "min_scores": {"LP1": 70, "LP2": 60},
    "rebate_pct": "2.5",
    "facilitation_budget": {"amount": "10000.00", "currency": "CNY"},
}


async def test_central_office_publishes_a_program_everyone_reads(
    client: httpx.AsyncClient, callers: dict[str, Caller], events: EventStream
) -> None:
    created = await client.post(
        "/v1/programs",
        json={"name": "Premium dealers", "tiers": [GOLD]},
        headers=callers["central"].headers,
    )
    assert created.status_code == 201, created.text
    program = created.json()
    assert program["version"] == 1
    assert program["tiers"][0]["facilitation_budget"] == {"amount": "10000.00", "currency": "CNY"}
    assert program["tiers"][0]["rebate_pct"] == "2.5"
    assert created.headers["location"] == f"/v1/programs/{program['id']}"

    for role in ("am", "dm", "kam", "central", "admin"):
        read = await client.get(f"/v1/programs/{program['id']}", headers=callers[role].headers)
        assert read.status_code == 200, role
    listed = await client.get("/v1/programs", headers=callers["am"].headers)
    assert [p["name"] for p in listed.json()["items"]] == ["Premium dealers"]

    (event,) = await events.wait_for("tread.contracts.program.published.v1")
    assert event["subject"] == program["id"]
    assert event["data"]["program_version"] == 1
    assert event["data"]["tiers"][0]["min_scores"] == {"LP1": 70, "LP2": 60}


async def test_a_new_version_keeps_the_old_one_readable(
    client: httpx.AsyncClient, callers: dict[str, Caller], events: EventStream
) -> None:
    central = callers["central"]
    created = await client.post(
        "/v1/programs", json={"name": "Fleet", "tiers": [GOLD]}, headers=central.headers
    )
    program_id, etag = created.json()["id"], created.headers["etag"]
    stricter = {**GOLD, "min_scores": {"LP1": 80}}

    missing_if_match = await client.put(
        f"/v1/programs/{program_id}",
        json={"name": "Fleet", "tiers": [stricter]},
        headers=central.headers,
    )
    assert_problem(missing_if_match, 428)
    published = await client.put(
        f"/v1/programs/{program_id}",
        json={"name": "Fleet", "tiers": [stricter]},
        headers=central.with_(**{"If-Match": etag}),
    )
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 2
    stale = await client.put(
        f"/v1/programs/{program_id}",
        json={"name": "Fleet", "tiers": [GOLD]},
        headers=central.with_(**{"If-Match": etag}),
    )
    assert_problem(stale, 412)

    first = await client.get(f"/v1/programs/{program_id}/versions/1", headers=central.headers)
    assert first.json()["tiers"][0]["min_scores"] == {"LP1": 70, "LP2": 60}
    versions = await client.get(f"/v1/programs/{program_id}/versions", headers=central.headers)
    assert [v["version"] for v in versions.json()] == [1, 2]
    published_events = await events.wait_for("tread.contracts.program.published.v1", 2)
    assert [e["data"]["program_version"] for e in published_events] == [1, 2]


async def test_only_central_office_and_admin_write_programs(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    body = {"name": "Not allowed", "tiers": [GOLD]}
    for role in ("am", "dm", "kam", "integration"):
        response = await client.post("/v1/programs", json=body, headers=callers[role].headers)
        assert_problem(response, 403)
    admin = await client.post("/v1/programs", json=body, headers=callers["admin"].headers)
    assert admin.status_code == 201
    listed = await client.get("/v1/programs", headers=callers["integration"].headers)
    assert_problem(listed, 403)


async def test_bad_programs_are_refused_and_nothing_is_published(
    client: httpx.AsyncClient, callers: dict[str, Caller], events: EventStream
) -> None:
    central = callers["central"].headers
    bad_bodies = [
        {"name": "x", "tiers": []},
        {"name": "x", "tiers": [GOLD, GOLD]},
        {"name": "x", "tiers": [{**GOLD, "min_scores": {"LP1": 101}}]},
        {"name": "x", "tiers": [{**GOLD, "rebate_pct": "-1"}]},
        {"name": "x", "tiers": [{**GOLD, "min_annual_volume": -5}]},
        {
            "name": "x",
            "tiers": [{**GOLD, "facilitation_budget": {"amount": "1", "currency": "yuan"}}],
        },
        {"name": "x", "tiers": [{**GOLD, "code": "Gold Tier"}]},
    ]
    for body in bad_bodies:
        assert_problem(await client.post("/v1/programs", json=body, headers=central), 422)
    await client.post("/v1/programs", json={"name": "Once", "tiers": [GOLD]}, headers=central)
    taken = await client.post(
        "/v1/programs", json={"name": "Once", "tiers": [GOLD]}, headers=central
    )
    assert_problem(taken, 409, "program-name-taken")
    unknown = await client.get("/v1/programs/0193e0a0-0000-7000-8000-000000000000", headers=central)
    assert_problem(unknown, 404)
    await events.wait_for("tread.contracts.program.published.v1")
    assert len(await events.of_type("tread.contracts.program.published.v1")) == 1
