"""Who may call each route. Roles first (403), then scope from the local directory: outside
it, a resource in the path is 404 and an account named in a body is 422 ``unknown-account``.

The world: an account owned by ``am`` in the north with ``kam`` as key account manager;
``other_am``, ``other_dm`` (south) and ``other_kam`` have nothing to do with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller

ROLES = ("am", "other_am", "dm", "other_dm", "kam", "other_kam", "central", "admin", "integration")
OK = "ok"
HIDDEN = "hidden"

# Expected answer per role, by kind of route.
READ_SCOPED = {
    "am": OK,
    "other_am": 404,
    "dm": OK,
    "other_dm": 404,
    "kam": OK,
    "other_kam": 404,
    "central": OK,
    "admin": OK,
    "integration": 403,
}
WRITE_SCOPED = {
    **READ_SCOPED,
    "other_am": HIDDEN,
    "other_dm": HIDDEN,
    "other_kam": HIDDEN,
    "central": 403,
}
MANAGER_SCOPED = {**WRITE_SCOPED, "am": 403}
DISTRICT_MANAGER_SCOPED = {**MANAGER_SCOPED, "kam": 403, "other_kam": 403, "other_am": 403}
KAM_SCOPED = {**MANAGER_SCOPED, "dm": 403, "other_dm": 403, "other_am": 403}
READ_ALL = {role: OK for role in ROLES} | {"integration": 403}
PROGRAM_WRITE = {role: 403 for role in ROLES} | {"central": OK, "admin": OK}
GUIDELINE_WRITE = {role: 403 for role in ROLES} | {"kam": OK, "other_kam": OK, "admin": OK}


@dataclass
class World:
    account_id: str
    program: dict[str, Any]
    offer: dict[str, Any]
    open_offer: dict[str, Any]
    contract: dict[str, Any]
    signed: dict[str, Any]
    audit: dict[str, Any]
    guideline: dict[str, Any]
    facilitation: dict[str, Any]
    etags: dict[str, str]


@dataclass
class Route:
    method: str
    path: Callable[[World], str]
    expected: dict[str, Any]
    body: Callable[[World], Any] | None = None
    if_match: str | None = None

    def __str__(self) -> str:
        probe = World(
            "{account}",
            {"id": "{program}"},
            {"id": "{offer}"},
            {"id": "{offer}"},
            {"id": "{contract}"},
            {"id": "{contract}"},
            {"id": "{audit}"},
            {"id": "{guideline}"},
            {"id": "{facilitation}"},
            {},
        )
        return f"{self.method} {self.path(probe)}"


def _signature(party: str) -> Callable[[World], dict[str, Any]]:
    return lambda _w: {
        "party": party,
        "signer_name": "N",
        "signer_role": "R",
        "method": "e-signature",
        "document_sha256": "a" * 64,
    }


def _contract_body(w: World) -> dict[str, Any]:
    return {
        "account_id": w.account_id,
        "program_id": w.program["id"],
        "tier": "gold",
        "start_date": "2030-01-01",
        "end_date": "2030-12-31",
        "commitments": [],
    }


def _offer_body(w: World) -> dict[str, Any]:
    return {
        "account_id": w.account_id,
        "valid_until": (utcnow().date() + timedelta(days=5)).isoformat(),
        "lines": [
            {"product_code": "X", "quantity": 1, "list_price": {"amount": "10", "currency": "CNY"}}
        ],
    }


def _guideline_body(_w: World) -> dict[str, Any]:
    return {
        "type": "training",
        "cap_per_account_per_year": {"amount": "9", "currency": "CNY"},
        "approval_threshold": {"amount": "1", "currency": "CNY"},
    }


ROUTES = [
    Route("GET", lambda w: "/v1/programs", READ_ALL),
    Route("GET", lambda w: f"/v1/programs/{w.program['id']}", READ_ALL),
    Route("GET", lambda w: f"/v1/programs/{w.program['id']}/versions", READ_ALL),
    Route("GET", lambda w: f"/v1/programs/{w.program['id']}/versions/1", READ_ALL),
    Route(
        "POST",
        lambda w: "/v1/programs",
        PROGRAM_WRITE,
        lambda w: {"name": f"P {utcnow().timestamp()}", "tiers": w.program["tiers"]},
    ),
    Route(
        "PUT",
        lambda w: f"/v1/programs/{w.program['id']}",
        PROGRAM_WRITE,
        lambda w: {"name": w.program["name"], "tiers": w.program["tiers"]},
        if_match="program",
    ),
    Route("GET", lambda w: f"/v1/offers/{w.offer['id']}", READ_SCOPED),
    Route("GET", lambda w: f"/v1/offers/{w.offer['id']}/revisions", READ_SCOPED),
    Route("POST", lambda w: "/v1/offers", WRITE_SCOPED, _offer_body),
    Route(
        "POST",
        lambda w: f"/v1/offers/{w.offer['id']}/revisions",
        WRITE_SCOPED,
        lambda w: {k: v for k, v in _offer_body(w).items() if k != "account_id"},
    ),
    Route("POST", lambda w: f"/v1/offers/{w.offer['id']}/approve", DISTRICT_MANAGER_SCOPED),
    Route("POST", lambda w: f"/v1/offers/{w.open_offer['id']}/accept", WRITE_SCOPED),
    Route(
        "POST",
        lambda w: f"/v1/offers/{w.open_offer['id']}/reject",
        WRITE_SCOPED,
        lambda w: {"reason": "r"},
    ),
    Route("POST", lambda w: f"/v1/offers/{w.open_offer['id']}/expire", WRITE_SCOPED),
    Route("GET", lambda w: f"/v1/contracts/{w.contract['id']}", READ_SCOPED),
    Route("GET", lambda w: f"/v1/contracts/{w.contract['id']}/compliance", READ_SCOPED),
    Route("POST", lambda w: "/v1/contracts", WRITE_SCOPED, _contract_body),
    Route(
        "PATCH",
        lambda w: f"/v1/contracts/{w.contract['id']}",
        WRITE_SCOPED,
        lambda w: {"terms": "t"},
        if_match="contract",
    ),
    Route("POST", lambda w: f"/v1/contracts/{w.contract['id']}/submit", WRITE_SCOPED),
    Route(
        "POST",
        lambda w: f"/v1/contracts/{w.signed['id']}/sign",
        MANAGER_SCOPED,
        _signature("manufacturer"),
    ),
    Route(
        "POST",
        lambda w: f"/v1/contracts/{w.contract['id']}/sign",
        WRITE_SCOPED,
        _signature("customer"),
    ),
    Route("POST", lambda w: f"/v1/contracts/{w.signed['id']}/renew", WRITE_SCOPED, lambda w: {}),
    Route(
        "POST",
        lambda w: f"/v1/contracts/{w.contract['id']}/terminate",
        WRITE_SCOPED,
        lambda w: {"reason": "r"},
    ),
    Route("GET", lambda w: f"/v1/audits/{w.audit['id']}", READ_SCOPED),
    Route(
        "POST",
        lambda w: "/v1/audits",
        WRITE_SCOPED,
        lambda w: {
            "account_id": w.account_id,
            "contract_id": w.signed["id"],
            "performed_at": utcnow().isoformat(),
            "auditor": "A",
            "scores": [{"criterion": "LP1", "score": 50}],
        },
    ),
    Route("GET", lambda w: "/v1/facilitation-guidelines", READ_ALL),
    Route("GET", lambda w: f"/v1/facilitation-guidelines/{w.guideline['id']}", READ_ALL),
    Route("POST", lambda w: "/v1/facilitation-guidelines", GUIDELINE_WRITE, _guideline_body),
    Route(
        "PATCH",
        lambda w: f"/v1/facilitation-guidelines/{w.guideline['id']}",
        GUIDELINE_WRITE,
        lambda w: {"name": "n"},
        if_match="guideline",
    ),
    Route("GET", lambda w: f"/v1/facilitations/{w.facilitation['id']}", READ_SCOPED),
    Route("GET", lambda w: f"/v1/facilitations/balances?account_id={w.account_id}", READ_SCOPED),
    Route(
        "POST",
        lambda w: "/v1/facilitations",
        WRITE_SCOPED,
        lambda w: {
            "account_id": w.account_id,
            "guideline_id": w.guideline["id"],
            "amount": {"amount": "5", "currency": "CNY"},
            "justification": "j",
        },
    ),
    Route("POST", lambda w: f"/v1/facilitations/{w.facilitation['id']}/approve", KAM_SCOPED),
    Route(
        "POST",
        lambda w: f"/v1/facilitations/{w.facilitation['id']}/reject",
        KAM_SCOPED,
        lambda w: {"reason": "r"},
    ),
    Route(
        "POST",
        lambda w: f"/v1/facilitations/{w.facilitation['id']}/spendings",
        WRITE_SCOPED,
        lambda w: {"amount": {"amount": "1", "currency": "CNY"}, "description": "d"},
    ),
]


async def _world(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> World:
    account_id = await accounts.open(
        owner_id="am-1", territory="north", key_account_manager_id="kam-1"
    )
    program = await partnerships.program()
    am = callers["am"]
    offer = await partnerships.offer(account_id, discount="20")
    open_offer = await partnerships.offer(account_id, discount="5")
    contract = await partnerships.draft(account_id, program)
    signed = await partnerships.active_contract(account_id, program, tier="silver")
    audit = await partnerships.post(
        "/v1/audits",
        {
            "account_id": str(account_id),
            "contract_id": signed["id"],
            "performed_at": utcnow().isoformat(),
            "auditor": "A",
            "scores": [{"criterion": "LP1", "score": 50}],
        },
        am,
    )
    guideline = await partnerships.post(
        "/v1/facilitation-guidelines",
        {
            "type": "marketing_fund",
            "cap_per_account_per_year": {"amount": "900", "currency": "CNY"},
            "approval_threshold": {"amount": "10", "currency": "CNY"},
        },
        callers["kam"],
    )
    facilitation = await partnerships.post(
        "/v1/facilitations",
        {
            "account_id": str(account_id),
            "guideline_id": guideline["id"],
            "amount": {"amount": "50", "currency": "CNY"},
            "justification": "j",
        },
        am,
    )
    admin = callers["admin"].headers
    etags = {
        "program": (await client.get(f"/v1/programs/{program['id']}", headers=admin)).headers[
            "etag"
        ],
        "contract": (await client.get(f"/v1/contracts/{contract['id']}", headers=admin)).headers[
            "etag"
        ],
        "guideline": (
            await client.get(f"/v1/facilitation-guidelines/{guideline['id']}", headers=admin)
        ).headers["etag"],
    }
    return World(
        str(account_id),
        program,
        offer,
        open_offer,
        contract,
        signed,
        audit,
        guideline,
        facilitation,
        etags,
    )


async def _check(
    route: Route, world: World, client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    path = route.path(world)
    body = route.body(world) if route.body else None

    async def call(headers: dict[str, str]) -> httpx.Response:
        if route.if_match:
            headers = {**headers, "If-Match": "*"}
        return await client.request(route.method, path, json=body, headers=headers)

    assert (await call({})).status_code == 401, route
    # Refusals first: a refusal never depends on the state an allowed call leaves behind.
    ordered = sorted(ROLES, key=lambda role: route.expected[role] == OK)
    for role in ordered:
        response = await call(callers[role].headers)
        expected = route.expected[role]
        where = (str(route), role, response.text)
        if expected == OK:
            assert response.status_code not in (401, 403, 404), where
            assert response.status_code < 500, where
        elif expected == HIDDEN and isinstance(body, dict) and "account_id" in body:
            # An account named in a body is refused as unknown; a resource in the path is 404.
            assert response.status_code == 422, where
            assert response.json()["type"] == "urn:tread:problem:unknown-account", where
        elif expected == HIDDEN:
            assert response.status_code == 404, where
        else:
            assert response.status_code == expected, where


async def test_reading_routes(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    world = await _world(client, callers, accounts, partnerships)
    for route in ROUTES:
        if route.method == "GET":
            await _check(route, world, client, callers)


async def test_writing_routes(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    """One world for every writing route: an allowed call may move it on (a contract signed,
    an offer accepted), which later routes' expectations do not depend on."""
    world = await _world(client, callers, accounts, partnerships)
    for route in ROUTES:
        if route.method != "GET":
            await _check(route, world, client, callers)
