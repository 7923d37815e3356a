"""The demo loader against a stand-in of the gateway (a real HTTP server on 127.0.0.1) that
keeps accounts and contacts in memory: what matters here is what the loader asks for."""

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tread_cli.demo import DemoRecord, Ref, load_demo_data
from tread_cli.tokens import ROLES

TOKENS = {role: f"token-of-{role}" for role in ROLES}

RECORDS = [
    DemoRecord(
        key="garage-dupont",
        collection="/v1/accounts",
        role="account_manager",
        lookup={"legal_id": "FR-123"},
        body={"name": "Garage Dupont", "legal_id": "FR-123", "kind": "dealer"},
    ),
    DemoRecord(
        key="dupont-buyer",
        collection="/v1/contacts",
        role="account_manager",
        lookup={"email": "buyer@dupont.example"},
        body={"account_id": Ref("garage-dupont"), "email": "buyer@dupont.example"},
    ),
    DemoRecord(
        key="gold-program",
        collection="/v1/programs",
        role="key_account_manager",
        lookup={"code": "GOLD"},
        body={"code": "GOLD"},
    ),
]


class StandIn:
    def __init__(self) -> None:
        self.collections: dict[str, list[dict[str, Any]]] = {"/v1/accounts": [], "/v1/contacts": []}
        self.posts: list[tuple[str, str | None, str | None]] = []


@pytest.fixture
def stand_in() -> Iterator[tuple[str, StandIn]]:
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path not in state.collections:
                self._answer(404, {"status": 404})
                return
            wanted = dict(parse_qsl(url.query))
            items = [
                item
                for item in state.collections[url.path]
                if all(str(item.get(k)) == v for k, v in wanted.items())
            ]
            self._answer(200, {"items": items, "next_cursor": None})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.posts.append(
                (self.path, self.headers["Idempotency-Key"], self.headers["Authorization"])
            )
            item = {**body, "id": str(uuid.uuid4())}
            state.collections[self.path].append(item)
            self._answer(201, item)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


def test_loads_what_is_missing_through_the_api(stand_in: tuple[str, StandIn]) -> None:
    url, state = stand_in

    report = load_demo_data(url, TOKENS, RECORDS)

    assert report.created == ["garage-dupont", "dupont-buyer"]
    assert report.not_served == ["gold-program"]
    assert not report.failed
    account, contact = state.collections["/v1/accounts"][0], state.collections["/v1/contacts"][0]
    assert contact["account_id"] == account["id"]
    assert state.posts[0] == (
        "/v1/accounts",
        "demo-garage-dupont",
        "Bearer token-of-account_manager",
    )


def test_a_second_run_changes_nothing(stand_in: tuple[str, StandIn]) -> None:
    url, state = stand_in
    load_demo_data(url, TOKENS, RECORDS)

    again = load_demo_data(url, TOKENS, RECORDS)

    assert again.created == []
    assert again.existing == ["garage-dupont", "dupont-buyer"]
    assert len(state.posts) == 2
    assert "2 already there" in again.summary()
