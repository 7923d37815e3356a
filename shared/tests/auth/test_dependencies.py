"""``CurrentPrincipal`` wants a bearer token; ``require_roles`` admits only the roles named."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tread_shared.testing.http import Caller, assert_problem


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer   ", "Basic YW5uYTpzZWNyZXQ=", "Token abc"],
    ids=["missing", "empty", "bearer-alone", "bearer-blank", "basic", "other-scheme"],
)
async def test_without_a_bearer_token_the_answer_is_401_with_a_challenge(
    notes: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await notes.get("/v1/notes", headers=headers)

    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="tread"'


@pytest.mark.parametrize("roles", [("central",), ("admin", "integration"), ()])
async def test_a_role_not_allowed_is_a_403_problem_and_writes_nothing(
    notes: httpx.AsyncClient, make_caller: Callable[..., Caller], roles: tuple[str, ...]
) -> None:
    caller = make_caller(*roles)

    response = await notes.post("/v1/notes", json={"title": "Stock"}, headers=caller.headers)

    problem = assert_problem(response, 403, "forbidden")
    assert "account_manager" in problem["detail"]
    listed = await notes.get("/v1/notes", headers=caller.headers)
    assert listed.json()["items"] == []


@pytest.mark.parametrize("role", ["account_manager", "key_account_manager", "district_manager"])
async def test_each_role_allowed_may_write(
    notes: httpx.AsyncClient, make_caller: Callable[..., Caller], role: str
) -> None:
    caller = make_caller(role)

    response = await notes.post("/v1/notes", json={"title": "Stock"}, headers=caller.headers)

    assert response.status_code == 201, response.text
    assert response.json()["owner"] == caller.sub
