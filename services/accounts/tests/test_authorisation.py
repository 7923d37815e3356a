"""Every route, called by every role: an account manager has their own accounts, a district
manager their territories, a key account manager their key accounts, central reads all and
works the cases assigned to them, admin everything, integration the webhooks only. Outside the
scope is 404; a role that may see but not do is 403."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tread_shared.testing.http import Caller

ROLES: dict[str, tuple[str, str, list[str]]] = {
    "owner": ("account_manager", "am-1", ["north"]),
    "other_am": ("account_manager", "am-2", ["south"]),
    "dm": ("district_manager", "dm-north", ["north"]),
    "other_dm": ("district_manager", "dm-south", ["south"]),
    "kam": ("key_account_manager", "kam-1", []),
    "other_kam": ("key_account_manager", "kam-2", []),
    "central": ("central", "central-1", []),
    "admin": ("admin", "admin-1", []),
    "integration": ("integration", "billing-system", []),
}
OUTSIDE = {"other_am", "other_dm", "other_kam"}
READERS = {"owner", "dm", "kam", "central", "admin"}
WRITERS = {"owner", "dm", "kam", "admin"}
CASE_WORKERS = WRITERS | {"central"}  # central-1 is the case's assignee


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"case_routing": {"credit": "central-1"}}


@dataclass
class World:
    account: str
    contact: str
    activity: str
    case: str


async def build_world(client: httpx.AsyncClient, admin: Caller) -> World:
    async def post(url: str, body: dict[str, Any]) -> str:
        response = await client.post(url, json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        identifier: str = response.json()["id"]
        return identifier

    account = await post(
        "/v1/accounts",
        {
            "kind": "dealer",
            "name": "Scoped Dealer",
            "territory": "north",
            "owner_id": "am-1",
            "key_account_manager_id": "kam-1",
            "erp_customer_id": f"C-{uuid.uuid4().hex[:8]}",
        },
    )
    account_url = f"/v1/accounts/{account}"
    return World(
        account=account,
        contact=await post(f"{account_url}/contacts", {"full_name": "Zhao Min"}),
        activity=await post(
            f"{account_url}/activities",
            {"type": "call", "started_at": "2026-11-20T03:00:00Z", "duration_minutes": 10},
        ),
        case=await post(f"{account_url}/cases", {"category": "credit", "description": "Limit"}),
    )


QUALIFICATION = {
    "expected": {"annual_volume_units": 10, "margin_potential": {"amount": "1", "currency": "CNY"}},
    "planned_investment": {
        "visits_per_year": 1,
        "hours_per_year": 1,
        "budget": {"amount": "1", "currency": "CNY"},
    },
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # formatted with the World's fields
    allowed: set[str]
    body: dict[str, Any] | None = None
    destructive: bool = False  # needs a world of its own for each caller


ANY_ETAG = {"If-Match": "*"}

ROUTES = [
    Route("GET", "/v1/accounts/{account}", READERS),
    Route("PATCH", "/v1/accounts/{account}", WRITERS, {"segment": "fleet"}),
    Route("DELETE", "/v1/accounts/{account}", WRITERS, destructive=True),
    Route(
        "POST",
        "/v1/accounts/{account}/transfer",
        {"dm", "admin"},
        {"owner_id": "am-9", "reason": "x"},
        destructive=True,
    ),
    Route("GET", "/v1/accounts/{account}/transfers", READERS),
    Route("POST", "/v1/accounts/{account}/contacts", WRITERS, {"full_name": "New"}),
    Route("GET", "/v1/accounts/{account}/contacts", READERS),
    Route("GET", "/v1/contacts/{contact}", READERS),
    Route("PATCH", "/v1/contacts/{contact}", WRITERS, {"job_title": "Buyer"}),
    Route("DELETE", "/v1/contacts/{contact}", WRITERS, destructive=True),
    Route("PUT", "/v1/accounts/{account}/qualification", WRITERS, QUALIFICATION),
    Route("GET", "/v1/accounts/{account}/qualification", READERS, destructive=True),
    Route(
        "POST",
        "/v1/accounts/{account}/activities",
        WRITERS,
        {"type": "email", "started_at": "2026-11-21T03:00:00Z", "duration_minutes": 5},
    ),
    Route("GET", "/v1/accounts/{account}/activities", READERS),
    Route("GET", "/v1/activities/{activity}", READERS),
    Route("PATCH", "/v1/activities/{activity}", WRITERS, {"outcome": "ok"}),
    Route("DELETE", "/v1/activities/{activity}", WRITERS, destructive=True),
    Route("GET", "/v1/accounts/{account}/investment?period=2026-11", READERS),
    Route(
        "POST", "/v1/accounts/{account}/cases", WRITERS, {"category": "other", "description": "x"}
    ),
    Route("GET", "/v1/accounts/{account}/cases", READERS),
    Route("GET", "/v1/cases/{case}", READERS),
    Route("PATCH", "/v1/cases/{case}", CASE_WORKERS, {"priority": "low"}),
    Route("POST", "/v1/cases/{case}/comments", CASE_WORKERS, {"body": "Noted"}),
    Route("GET", "/v1/cases/{case}/comments", READERS),
    Route("GET", "/v1/accounts/{account}/financials", READERS),
    Route("GET", "/v1/accounts/{account}/sell-in", READERS),
]


async def call(
    client: httpx.AsyncClient, who: Caller, route: Route, world: World
) -> httpx.Response:
    url = route.path.format(**world.__dict__)
    return await client.request(route.method, url, json=route.body, headers=who.with_(**ANY_ETAG))


def expected(route: Route, role: str) -> set[int]:
    if role in route.allowed:
        return {200, 201, 204}
    if role == "integration":
        return {403}
    return {404} if role in OUTSIDE else {403}


async def test_every_route_answers_each_role_by_its_scope(
    client: httpx.AsyncClient, caller: Callable[..., Caller], admin: Caller
) -> None:
    callers = {role: caller(r, sub=sub, territories=t) for role, (r, sub, t) in ROLES.items()}
    shared_world = await build_world(client, admin)
    # The qualification must exist for the GET: one qualify as admin first.
    await client.put(
        f"/v1/accounts/{shared_world.account}/qualification",
        json=QUALIFICATION,
        headers=admin.headers,
    )
    wrong: list[str] = []
    for route in ROUTES:
        for role, who in callers.items():
            world = shared_world
            if route.destructive and role in route.allowed:
                world = await build_world(client, admin)
                await client.put(
                    f"/v1/accounts/{world.account}/qualification",
                    json=QUALIFICATION,
                    headers=admin.headers,
                )
            response = await call(client, who, route, world)
            if response.status_code not in expected(route, role):
                wrong.append(f"{route.method} {route.path} as {role}: {response.status_code}")
    assert wrong == []


async def test_lists_hold_only_what_the_caller_may_see(
    client: httpx.AsyncClient, caller: Callable[..., Caller], admin: Caller
) -> None:
    await build_world(client, admin)
    lists = ["/v1/accounts", "/v1/contacts", "/v1/activities", "/v1/cases"]
    for role, (r, sub, territories) in ROLES.items():
        who = caller(r, sub=sub, territories=territories)
        for url in lists:
            response = await client.get(url, headers=who.headers)
            if role == "integration":
                assert response.status_code == 403, (url, role)
                continue
            assert response.status_code == 200, (url, role)
            count = len(response.json()["items"])
            assert count == (0 if role in OUTSIDE else 1), (url, role, count)
        analysis = await client.get("/v1/portfolio/analysis", headers=who.headers)
        if role != "integration":
            assert analysis.json()["total_accounts"] == (0 if role in OUTSIDE else 1), role


async def test_account_creation_by_role(
    client: httpx.AsyncClient, caller: Callable[..., Caller]
) -> None:
    body = {"kind": "dealer", "name": "New", "territory": "north"}
    outcomes = {}
    for role, (r, sub, territories) in ROLES.items():
        who = caller(r, sub=sub, territories=territories)
        outcomes[role] = (
            await client.post("/v1/accounts", json=body, headers=who.headers)
        ).status_code
    assert outcomes == {
        "owner": 201,
        "other_am": 422,  # north is not their territory
        "dm": 201,
        "other_dm": 422,  # north is not their territory
        "kam": 403,
        "other_kam": 403,
        "central": 403,
        "admin": 201,
        "integration": 403,
    }


async def test_webhooks_are_for_the_integration_role(
    client: httpx.AsyncClient, caller: Callable[..., Caller]
) -> None:
    for role, (r, sub, territories) in ROLES.items():
        who = caller(r, sub=sub, territories=territories)
        for system in ("credit", "billing"):
            response = await client.post(
                f"/v1/integrations/{system}/events", json={}, headers=who.headers
            )
            # No signature: past the role check, the signature refuses it.
            assert response.status_code == (401 if role in ("integration", "admin") else 403), (
                system,
                role,
            )
