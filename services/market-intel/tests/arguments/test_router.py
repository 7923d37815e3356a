from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


def _argument(**fields: Any) -> dict[str, Any]:
    return {
        "product_code": "TR-315/80R22.5-XMD",
        "usage_type": "long_haul",
        "segment": "fleet",
        "title": "Lower cost per kilometre",
        "claim": "Two retreads per casing keep the cost per km 18 % below a budget tyre.",
        "proof_points": ["Fleet test 2025, 1.2 M km"],
        "sources": ["Tread technical centre report TC-2025-14"],
        **fields,
    }


async def _move(
    client: httpx.AsyncClient, argument: dict[str, Any], by: Caller, **body: Any
) -> httpx.Response:
    url = f"/v1/arguments/{argument['id']}"
    current = await client.get(url, headers=by.headers)
    etag = current.headers.get("ETag", "*")
    return await client.patch(url, json=body, headers=by.with_(**{"If-Match": etag}))


async def test_an_argument_goes_from_draft_to_the_field_and_is_retired(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any, events: EventStream
) -> None:
    await market.product("TR-315/80R22.5-XMD")
    dm, central, am = callers["dm"], callers["central"], callers["am"]
    argument = await market.post("/v1/arguments", _argument(), dm)
    assert argument["status"] == "draft" and argument["next_statuses"] == ["submitted"]

    hidden = await client.get(f"/v1/arguments/{argument['id']}", headers=am.headers)
    assert_problem(hidden, 404)
    rewritten = await _move(client, argument, dm, claim="18 % below, measured on 40 trucks.")
    assert rewritten.json()["current_version"] == 2
    assert_problem(await _move(client, argument, dm, status="validated"), 403)
    submitted = await _move(client, argument, dm, status="submitted")
    assert submitted.json()["status"] == "submitted"
    locked = await _move(client, argument, dm, claim="late change")
    problem = assert_problem(locked, 409, "argument-not-draft")
    assert problem["allowed"] == ["validated", "draft"]
    validated = await _move(client, argument, central, status="validated")
    assert validated.status_code == 200, validated.text
    assert validated.json()["validated_by"] == "central-1"

    # What an account manager shows a fleet manager: one call, product and usage.
    general = await market.post(
        "/v1/arguments", _argument(product_code=None, usage_type=None, title="Service network")
    )
    await _move(client, general, central, status="submitted")
    await _move(client, general, central, status="validated")
    other_usage = await market.post("/v1/arguments", _argument(usage_type="urban"))
    await _move(client, other_usage, central, status="submitted")
    await _move(client, other_usage, central, status="validated")
    draft = await market.post("/v1/arguments", _argument(title="Not yet"))
    for_fleet = await client.get(
        "/v1/arguments",
        params={"product_code": "TR-315/80R22.5-XMD", "usage_type": "long_haul"},
        headers=am.headers,
    )
    assert [a["id"] for a in for_fleet.json()["items"]] == [argument["id"], general["id"]]
    everything = await client.get("/v1/arguments", headers=central.headers)
    assert draft["id"] in [a["id"] for a in everything.json()["items"]]

    retired = await _move(client, argument, central, status="retired")
    assert retired.json()["next_statuses"] == []
    again = await _move(client, argument, central, status="validated")
    problem = assert_problem(again, 409, "illegal-transition")
    assert problem["allowed"] == []
    gone = await client.get("/v1/arguments", params={"usage_type": "long_haul"}, headers=am.headers)
    assert argument["id"] not in [a["id"] for a in gone.json()["items"]]

    versions = await client.get(f"/v1/arguments/{argument['id']}/versions", headers=am.headers)
    assert_problem(versions, 404)
    versions = await client.get(f"/v1/arguments/{argument['id']}/versions", headers=central.headers)
    assert [v["number"] for v in versions.json()["items"]] == [1, 2]
    assert versions.json()["items"][1]["claim"] == "18 % below, measured on 40 trucks."
    (event,) = await events.wait_for(
        "tread.market-intel.argument.validated.v1",
        where=lambda e: e["data"]["argument"]["argument_id"] == argument["id"],
    )
    assert event["data"]["argument"]["argument_version"] == 2
    await events.wait_for("tread.market-intel.argument.retired.v1")


async def test_a_submission_and_a_send_back_are_announced_to_central(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any, events: EventStream
) -> None:
    await market.product("TR-315/80R22.5-XMD")
    dm, central = callers["dm"], callers["central"]
    argument = await market.post("/v1/arguments", _argument(), dm)

    def mine(event: dict[str, Any]) -> bool:
        return bool(event["data"]["argument"]["argument_id"] == argument["id"])

    assert (await _move(client, argument, dm, status="submitted")).status_code == 200
    (submitted,) = await events.wait_for("tread.market-intel.argument.submitted.v1", where=mine)
    assert submitted["subject"] == argument["id"]
    assert submitted["data"]["submitted_by"] == "dm-north"
    assert submitted["data"]["argument"]["title"] == "Lower cost per kilometre"

    # Only central sends it back; the author's try changes nothing and announces nothing.
    assert_problem(await _move(client, argument, dm, status="draft"), 403)
    sent_back = await _move(client, argument, central, status="draft")
    assert sent_back.json()["status"] == "draft", sent_back.text
    (event,) = await events.wait_for("tread.market-intel.argument.sent_back.v1", where=mine)
    assert event["data"]["sent_back_by"] == "central-1"

    # Rewritten and submitted again: a second submission, of the new version.
    await _move(client, argument, dm, claim="18 % below, measured on 40 trucks.")
    await _move(client, argument, dm, status="submitted")
    again = await events.wait_for("tread.market-intel.argument.submitted.v1", 2, where=mine)
    assert [e["data"]["argument"]["argument_version"] for e in again] == [1, 2]
    types = [e["type"] for e in await events.all() if e.get("subject") == argument["id"]]
    assert types == [
        "tread.market-intel.argument.submitted.v1",
        "tread.market-intel.argument.sent_back.v1",
        "tread.market-intel.argument.submitted.v1",
    ]


async def test_bad_arguments_and_roles_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any
) -> None:
    central = callers["central"].headers
    unknown = await client.post("/v1/arguments", json=_argument(), headers=central)
    assert_problem(unknown, 422, "unknown-product")
    await market.product("TR-315/80R22.5-XMD")
    for body in (_argument(claim=""), _argument(usage_type="space"), {**_argument(), "x": 1}):
        assert_problem(await client.post("/v1/arguments", json=body, headers=central), 422)
    by_am = await client.post("/v1/arguments", json=_argument(), headers=callers["am"].headers)
    assert_problem(by_am, 403)
    argument = await market.post("/v1/arguments", _argument(), callers["kam"])
    url = f"/v1/arguments/{argument['id']}"
    no_etag = await client.patch(url, json={"status": "submitted"}, headers=callers["kam"].headers)
    assert_problem(no_etag, 428)
    by_other_author = await client.patch(
        url, json={"status": "submitted"}, headers=callers["dm"].with_(**{"If-Match": "*"})
    )
    assert_problem(by_other_author, 404)
    skipped = await client.patch(
        url, json={"status": "validated"}, headers=callers["central"].with_(**{"If-Match": "*"})
    )
    assert_problem(skipped, 409, "illegal-transition")
    assert (await client.get(url, headers=central)).json()["status"] == "draft"
