"""Mail preferences: set by kind, read back, refused when they make no sense."""

from __future__ import annotations

import httpx

from tread_shared.testing.http import Caller, assert_problem


async def test_preferences_are_set_by_kind_and_read_back(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    headers = callers["dm"].headers
    unset = (await client.get("/v1/inbox/preferences", headers=headers)).json()
    assert (unset["email"], unset["default"], unset["kinds"]["offer_approval"]) == (
        None,
        "off",
        "off",
    )
    body = {"email": "claire@example.com", "kinds": {"offer_approval": "immediate"}}
    answer = await client.put("/v1/inbox/preferences", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    preferences = (await client.get("/v1/inbox/preferences", headers=headers)).json()
    assert preferences["email"] == "claire@example.com"
    assert preferences["default"] == "daily"
    assert preferences["kinds"]["offer_approval"] == "immediate"
    assert preferences["kinds"]["renewal_due"] == "daily"


async def test_nonsense_preferences_are_refused_and_change_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    headers = callers["am"].headers
    for body in (
        {"email": "not an address"},
        {"email": "lucas@example.com", "kinds": {"gossip": "immediate"}},
        {"email": "lucas@example.com", "kinds": {"renewal_due": "hourly"}},
        {"email": "lucas@example.com", "colour": "blue"},
    ):
        assert_problem(await client.put("/v1/inbox/preferences", json=body, headers=headers), 422)
    assert (await client.get("/v1/inbox/preferences", headers=headers)).json()["email"] is None
