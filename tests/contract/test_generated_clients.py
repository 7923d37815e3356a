"""A Python client generated from each service's OpenAPI document (openapi-python-client), at
test time, against the running stack: it is generated whole (no operation or model dropped;
only an operation whose body is not JSON, a CSV upload, is left out by the generator), and what
it reads parses to its typed models, never ``None``.

Generic for every service the gateway routes: each list it can read without parameters, then
each resource of those lists by its id. Then a scripted scenario of writes in accounts, with
the ETag read passed back as If-Match."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tread_cli.services import SERVICES
from tread_cli.testing import Platform

pytestmark = pytest.mark.slow


class Generated:
    def __init__(self, service: str, package: ModuleType, document: dict[str, Any]) -> None:
        self.service = service
        self.package = package
        self.document = document

    def operation(self, operation_id: str) -> ModuleType:
        root = Path(self.package.__file__ or "").parent / "api"
        [found] = root.glob(f"*/{operation_id}.py")
        return importlib.import_module(
            f"{self.package.__name__}.api.{found.parent.name}.{found.stem}"
        )

    def client(self, gateway: str, token: str) -> Any:
        return self.package.AuthenticatedClient(base_url=gateway, token=token, timeout=30)


def _model(package: ModuleType, name: str) -> type:
    model: type = getattr(importlib.import_module(f"{package.__name__}.models"), name)
    return model


@pytest.fixture(scope="module")
def generated(
    stack: Platform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Generated]]:
    root = tmp_path_factory.mktemp("clients")
    sys.path.insert(0, str(root))
    clients = {}
    try:
        for service in SERVICES:
            package = f"tread_{service.name.replace('-', '_')}_client"
            document = httpx.get(f"{stack.gateway}/openapi/{service.name}.json", timeout=30).json()
            (root / f"{service.name}.json").write_text(json.dumps(document))
            (root / f"{service.name}.yaml").write_text(
                f"post_hooks: []\npackage_name_override: {package}\n"
                f"project_name_override: {package.replace('_', '-')}\n"
            )
            done = subprocess.run(
                [
                    str(Path(sys.executable).with_name("openapi-python-client")),
                    "generate",
                    "--path",
                    str(root / f"{service.name}.json"),
                    "--config",
                    str(root / f"{service.name}.yaml"),
                    "--meta",
                    "none",
                    "--output-path",
                    str(root / package),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, f"{service.name}: {done.stdout}{done.stderr}"
            warnings = [
                line
                for line in (done.stdout + done.stderr).splitlines()
                if "Endpoint will not be generated" in line or line.startswith("WARNING")
            ]
            assert len(warnings) == len(_not_json(document)), (service.name, done.stdout)
            clients[service.name] = Generated(
                service.name, importlib.import_module(package), document
            )
        yield clients
    finally:
        sys.path.remove(str(root))


def _not_json(document: dict[str, Any]) -> list[str]:
    """Operations whose body is not JSON (a CSV upload): a JSON client generator leaves them
    out, with a warning each."""
    return [
        operation["operationId"]
        for methods in document["paths"].values()
        for operation in methods.values()
        if "requestBody" in operation
        and "application/json" not in operation["requestBody"].get("content", {})
    ]


def test_every_operation_with_a_json_body_or_none_is_generated(
    generated: dict[str, Generated],
) -> None:
    for client in generated.values():
        skipped = _not_json(client.document)
        for methods in client.document["paths"].values():
            for operation in methods.values():
                if operation["operationId"] not in skipped:
                    assert client.operation(operation["operationId"]), operation["operationId"]


def test_every_list_and_every_listed_resource_parses_to_its_model(
    stack: Platform, generated: dict[str, Generated]
) -> None:
    admin = stack.dev_tokens()["admin"]
    read = []
    for client in generated.values():
        api = client.client(stack.gateway, admin)
        lists: dict[str, list[str]] = {}
        for path, methods in client.document["paths"].items():
            get = methods.get("get")
            if (
                get is None
                or "{" in path
                or _required_query(get)
                or not path.startswith("/v1/")
                or not _answers_json(get)
            ):
                continue
            answer = client.operation(get["operationId"]).sync_detailed(client=api)
            parsed = _typed(client, get, answer, refusal_allowed=True)
            read.append(f"GET {path}")
            items = getattr(parsed, "items", None)
            if isinstance(items, list):
                lists[path] = [str(i.id) for i in items if hasattr(i, "id")][:1]
        for path, methods in client.document["paths"].items():
            match = re.fullmatch(r"(/v1/[^{}]+)/\{(\w+_id)\}", path)
            get = methods.get("get")
            if not match or get is None or not lists.get(match[1]) or not _answers_json(get):
                continue
            values = {match[2]: uuid.UUID(lists[match[1]][0])}
            answer = client.operation(get["operationId"]).sync_detailed(client=api, **values)
            _typed(client, get, answer)
            read.append(f"GET {path}")

    assert len(read) >= 20, read


def _answers_json(operation: dict[str, Any]) -> bool:
    """A JSON answer: not a stream of server-sent events, which does not end."""
    success = operation["responses"].get("200", {})
    return "application/json" in success.get("content", {})


def _required_query(operation: dict[str, Any]) -> bool:
    return any(p.get("required") for p in operation.get("parameters", []))


def _typed(
    client: Generated, operation: dict[str, Any], answer: Any, *, refusal_allowed: bool = False
) -> Any:
    """The parsed answer, asserted to be the documented success model (or, where a refusal is
    allowed, a 4xx: a list needing one of two optional filters, preferences not set yet)."""
    name = operation["operationId"]
    if refusal_allowed and answer.status_code // 100 == 4:
        return None  # whether the status is documented is the fuzzer's to check
    parsed = answer.parsed
    assert parsed is not None, (name, answer.status_code, answer.content[:500])
    problem = _model(client.package, "Problem")
    assert answer.status_code // 100 == 2, (name, answer.status_code, answer.content[:500])
    assert not isinstance(parsed, problem), (name, parsed)
    return parsed


def test_a_scripted_scenario_reads_every_answer_as_its_model(
    stack: Platform, generated: dict[str, Generated]
) -> None:
    accounts = generated["accounts"]
    models = importlib.import_module(f"{accounts.package.__name__}.models")
    api = accounts.client(stack.gateway, stack.dev_tokens()["admin"])

    def call(operation_id: str, **arguments: Any) -> Any:
        answer = accounts.operation(operation_id).sync_detailed(client=api, **arguments)
        operation = _document_operation(accounts, operation_id)
        return answer, _typed(accounts, operation, answer)

    created, account = call(
        "create_account",
        body=models.AccountCreate.from_dict(
            {
                "kind": "dealer",
                "name": "Generated Client Tyres",
                "territory": "north",
                "owner_id": "am-lucas",
            }
        ),
    )
    assert isinstance(account, models.AccountOut)
    assert created.headers["location"].endswith(str(account.id))
    read, same = call("get_account", account_id=account.id)
    assert same.name == "Generated Client Tyres"
    _, changed = call(
        "update_account",
        account_id=account.id,
        if_match=read.headers["etag"],
        body=models.AccountPatch.from_dict({"segment": "fleet"}),
    )
    assert isinstance(changed, models.AccountOut)
    _, contact = call(
        "add_contact",
        account_id=account.id,
        body=models.ContactCreate.from_dict({"full_name": "Li Wei", "roles": ["owner"]}),
    )
    assert isinstance(contact, models.ContactOut)
    _, contacts = call("list_account_contacts", account_id=account.id)
    assert [c.full_name for c in contacts.items] == ["Li Wei"]
    _, transfers = call("list_account_transfers", account_id=account.id)
    assert all(isinstance(t, models.AssignmentOut) for t in transfers.items)


def _document_operation(client: Generated, operation_id: str) -> dict[str, Any]:
    for methods in client.document["paths"].values():
        for operation in methods.values():
            if operation["operationId"] == operation_id:
                return dict(operation)
    raise KeyError(operation_id)
