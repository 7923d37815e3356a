"""The cross-scope matrix, generated from the OpenAPI documents: for every operation on a
resource of an id (``/v1/contracts/{contract_id}/sign`` …), in every service the gateway
routes, a caller whose scope does not include that resource gets 403 or 404 (or the 422 of
the empty body it is sent, where a body is required), and exactly the answer it would get for
an id that does not exist: it learns nothing, not even that the id exists.

The ids come from the documents too: ``GET /v1/contracts`` lists what ``{contract_id}`` names.
Out of a caller's scope is what the admin lists and that caller's own list does not show. A
new route, or a new service, is covered without a new test."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tread_cli.services import SERVICES
from tread_cli.testing import Platform

pytestmark = pytest.mark.slow

PARAMETER = re.compile(r"\{([^}]+)\}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FIXED = {"number": "1"}  # parameters that are not ids: a value that exists when the id does


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    body_required: bool

    @property
    def parameters(self) -> list[str]:
        return PARAMETER.findall(self.path)


def _documents(stack: Platform) -> dict[str, dict[str, Any]]:
    return {
        s.name: httpx.get(f"{stack.gateway}/openapi/{s.name}.json", timeout=30).json()
        for s in SERVICES
    }


def _operations(documents: dict[str, dict[str, Any]]) -> list[Operation]:
    return [
        Operation(
            method.upper(), path, bool(operation.get("requestBody", {}).get("required", False))
        )
        for document in documents.values()
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if PARAMETER.search(path)
    ]


def _sources(documents: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """``{contract_id: ["/v1/contracts"]}``: the lists whose items the parameter names."""
    sources: dict[str, list[str]] = {}
    for document in documents.values():
        paths = document["paths"]
        for path in paths:
            match = re.fullmatch(r"(/v1/[^{}]+)/\{(\w+_id)\}", path)
            if match and "get" in paths.get(match[1], {}):
                sources.setdefault(match[2], []).append(match[1])
    return sources


def _listed(gateway: str, token: str, path: str) -> set[str]:
    answer = httpx.get(
        f"{gateway}{path}",
        params={"limit": 200},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if answer.status_code != 200:
        return set()
    body = answer.json()
    items = body.get("items", []) if isinstance(body, dict) else body
    return {str(item.get("id") or item.get("account_id")) for item in items}


def _comparable(answer: httpx.Response, ids: list[str]) -> tuple[int, dict[str, Any] | str]:
    """The answer with every id of the request written ``<id>`` and the request id dropped."""
    text = answer.text
    for value in ids:
        text = text.replace(value, "<id>")
    try:
        body: dict[str, Any] | str = httpx.Response(200, content=text).json()
    except ValueError:
        return answer.status_code, text
    if isinstance(body, dict):
        body.pop("request_id", None)
    return answer.status_code, body


def test_callers_outside_a_resources_scope_get_what_a_missing_id_gets(stack: Platform) -> None:
    admin = stack.dev_tokens()["admin"]
    outsiders = {
        "account manager of no account": stack.token("account_manager", "am-outsider", "west"),
        "key account manager of no account": stack.token("key_account_manager", "kam-outsider"),
        "district manager of another territory": stack.token(
            "district_manager", "ddm-outsider", "nowhere"
        ),
        "integration": stack.dev_tokens()["integration"],
    }
    documents = _documents(stack)
    sources = _sources(documents)
    existing = {
        name: sorted(set().union(*(_listed(stack.gateway, admin, p) for p in paths)))
        for name, paths in sources.items()
    }
    operations = _operations(documents)
    covered, refused = set(), []

    with httpx.Client(base_url=stack.gateway, timeout=30) as client:
        for who, token in outsiders.items():
            visible = {
                name: set().union(*(_listed(stack.gateway, token, p) for p in paths))
                for name, paths in sources.items()
            }
            for operation in operations:
                hidden: dict[str, str] = {}
                for name in operation.parameters:
                    if name in FIXED:
                        hidden[name] = FIXED[name]
                        continue
                    candidates = [i for i in existing.get(name, []) if i not in visible[name]]
                    if not candidates:
                        break
                    hidden[name] = candidates[0]
                else:
                    missing = {n: v if n in FIXED else str(uuid.uuid4()) for n, v in hidden.items()}
                    answers = [
                        _call(client, token, operation, values) for values in (hidden, missing)
                    ]
                    covered.add(operation)
                    status, _ = answers[0]
                    # An operation whose body is required may refuse the empty one first (422),
                    # before looking the id up: the same answer for both ids, nothing learned.
                    allowed = (403, 404, 422) if operation.body_required else (403, 404)
                    if status not in allowed or answers[0] != answers[1]:
                        refused.append(f"{who}: {operation.method} {operation.path}: {answers}")

    assert not refused, "\n".join(refused)
    # Operations on resources every caller may see (the catalogue) or that the demo data has
    # none of are not in the matrix; the portfolio's are.
    assert len(covered) >= 40, sorted(
        {f"{o.method} {o.path}" for o in operations} - {f"{o.method} {o.path}" for o in covered}
    )


def _call(
    client: httpx.Client, token: str, operation: Operation, values: dict[str, str]
) -> tuple[int, dict[str, Any] | str]:
    path = operation.path
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", value)
    headers = {"Authorization": f"Bearer {token}", "If-Match": "*"}
    body: dict[str, Any] | None = {} if operation.method in {"POST", "PUT", "PATCH"} else None
    answer = client.request(operation.method, path, headers=headers, json=body)
    return _comparable(answer, list(values.values()))
