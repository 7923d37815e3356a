"""The demo loader against a stand-in of the gateway (a real HTTP server on 127.0.0.1) that
keeps records in memory: what matters here is what the loader asks for.

The stand-in lists every record of a collection, a page of two at a time, whatever the filters:
picking the record out is the loader's work, as it is against an endpoint that does not know a
filter. ``/v1/programs`` is not served; ``POST /v1/contracts/{id}/<action>`` moves a contract."""

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tread_cli.demo import DEMO_RECORDS, DemoRecord, Ref, Step, _refers_to, load_demo_data
from tread_cli.tokens import DEV_USERS, ROLES

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
        collection="/v1/accounts/{garage-dupont}/contacts",
        role="account_manager",
        lookup={"email": "buyer@dupont.example"},
        body={"email": "buyer@dupont.example"},
    ),
    DemoRecord(
        key="gold-program",
        collection="/v1/programs",
        role="key_account_manager",
        lookup={"code": "GOLD"},
        body={"code": "GOLD"},
    ),
]

CONTRACT = DemoRecord(
    key="dupont-contract",
    collection="/v1/contracts",
    role="account_manager",
    lookup={"account_id": Ref("garage-dupont")},
    body={"account_id": Ref("garage-dupont"), "status": "draft"},
    steps=(
        Step("submitted", "POST", "/v1/contracts/{id}/submit", "account_manager",
             when={"status": "draft"}),
        Step("countersigned", "POST", "/v1/contracts/{id}/sign", "district_manager",
             when={"status": "submitted"}, body={"signer": Ref("garage-dupont")}),
    ),
)  # fmt: skip

MOVES = {"submit": ("draft", "submitted"), "sign": ("submitted", "active")}


class StandIn:
    def __init__(self) -> None:
        self.collections: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, str | None, str | None]] = []
        # The end of a path → the statuses its next POSTs are answered with.
        self.refuse: dict[str, list[int]] = {}

    def posts(self) -> list[tuple[str, str, str | None, str | None]]:
        return [request for request in self.requests if request[0] == "POST"]


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
            if url.path.startswith("/v1/programs"):
                self._answer(404, {"status": 404})
                return
            start = int(dict(parse_qsl(url.query)).get("cursor", 0))
            items = state.collections.get(url.path, [])
            more = start + 2 < len(items)
            self._answer(
                200,
                {
                    "items": items[start : start + 2],
                    "next_cursor": str(start + 2) if more else None,
                },
            )

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"null")
            state.requests.append(
                ("POST", self.path, self.headers["Idempotency-Key"], self.headers["Authorization"])
            )
            refused = next((v for k, v in state.refuse.items() if self.path.endswith(k)), None)
            if refused:
                status = refused.pop(0)
                self._answer(status, {"status": status})
                return
            *_, contract_id, action = self.path.split("/")
            if action in MOVES:
                contract = next(
                    c for c in state.collections["/v1/contracts"] if c["id"] == contract_id
                )
                assert contract["status"] == MOVES[action][0]
                contract["status"] = MOVES[action][1]
                self._answer(200, contract)
                return
            item = {**body, "id": str(uuid.uuid4())}
            state.collections.setdefault(self.path, []).append(item)
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
    account = state.collections["/v1/accounts"][0]
    assert state.collections[f"/v1/accounts/{account['id']}/contacts"][0]["email"] == (
        "buyer@dupont.example"
    )
    assert state.posts()[0] == (
        "POST",
        "/v1/accounts",
        "demo-garage-dupont",
        "Bearer token-of-account_manager",
    )


def test_a_second_run_changes_nothing(stand_in: tuple[str, StandIn]) -> None:
    url, state = stand_in
    load_demo_data(url, TOKENS, [*RECORDS, CONTRACT])

    again = load_demo_data(url, TOKENS, [*RECORDS, CONTRACT])

    assert again.created == []
    assert again.steps_taken == []
    assert again.existing == ["garage-dupont", "dupont-buyer", "dupont-contract"]
    assert len(state.posts()) == 5
    assert again.summary() == "0 created, 3 already there, 1 waiting for their endpoint"


def test_the_record_a_lookup_names_is_found_among_others(stand_in: tuple[str, StandIn]) -> None:
    url, state = stand_in
    others = [{"id": str(uuid.uuid4()), "legal_id": f"FR-{n}"} for n in range(5)]
    state.collections["/v1/accounts"] = [*others, {"id": "the-one", "legal_id": "FR-123"}]
    state.collections["/v1/accounts/the-one/contacts"] = [{"id": "c", "email": "x@y.example"}]

    report = load_demo_data(url, TOKENS, RECORDS[:2])

    assert report.existing == ["garage-dupont"]
    assert report.created == ["dupont-buyer"]
    assert state.posts()[0][1] == "/v1/accounts/the-one/contacts"


def test_steps_take_a_new_record_through_its_workflow(stand_in: tuple[str, StandIn]) -> None:
    url, state = stand_in

    report = load_demo_data(url, TOKENS, [RECORDS[0], CONTRACT])

    contract = state.collections["/v1/contracts"][0]
    assert contract["status"] == "active"
    assert report.steps_taken == ["dupont-contract submitted", "dupont-contract countersigned"]
    assert state.posts()[-1] == (
        "POST",
        f"/v1/contracts/{contract['id']}/sign",
        "demo-dupont-contract-step-2",
        "Bearer token-of-district_manager",
    )
    assert "2 steps taken" in report.summary()


def test_a_run_stopped_half_way_carries_on_where_it_stopped(
    stand_in: tuple[str, StandIn],
) -> None:
    url, state = stand_in
    state.refuse["/sign"] = [503]
    stopped = load_demo_data(url, TOKENS, [RECORDS[0], CONTRACT])
    contract = state.collections["/v1/contracts"][0]
    assert contract["status"] == "submitted"
    assert stopped.failed == ['dupont-contract countersigned: 503 {"status": 503}']
    state.requests.clear()

    resumed = load_demo_data(url, TOKENS, [RECORDS[0], CONTRACT])

    assert contract["status"] == "active"
    assert resumed.existing == ["garage-dupont", "dupont-contract"]
    assert resumed.steps_taken == ["dupont-contract countersigned"]
    assert [path for _, path, _, _ in state.posts()] == [f"/v1/contracts/{contract['id']}/sign"]
    assert not resumed.failed


def test_a_422_is_retried_for_as_long_as_the_record_allows(
    stand_in: tuple[str, StandIn],
) -> None:
    url, state = stand_in
    waiting = DemoRecord("fleet", "/v1/fleets", "admin", {"name": "F"}, {"name": "F"}, retry_for=5)
    impatient = DemoRecord("depot", "/v1/depots", "admin", {"name": "D"}, {"name": "D"})
    state.refuse = {"/v1/fleets": [422, 422], "/v1/depots": [422]}

    report = load_demo_data(url, TOKENS, [waiting, impatient])

    assert report.created == ["fleet"]
    assert report.failed == ['depot: 422 {"status": 422}']
    keys = [key for _, path, key, _ in state.posts() if path == "/v1/fleets"]
    assert keys == ["demo-fleet", "demo-fleet-retry-1", "demo-fleet-retry-2"]


def test_the_demo_records_refer_only_to_records_before_them() -> None:
    keys: set[str] = set()
    for record in DEMO_RECORDS:
        refs = set(_refers_to(record))
        assert refs <= keys, record.key
        assert record.key not in keys
        assert record.lookup, record.key
        keys.add(record.key)


def test_the_demo_portfolio_belongs_to_the_development_users() -> None:
    users = {user.sub: user for user in DEV_USERS}
    district = users["ddm-claire"].territories
    accounts = [r.body for r in DEMO_RECORDS if r.collection == "/v1/accounts"]

    assert {account["territory"] for account in accounts} <= set(district)
    by_lucas = [
        r.body
        for r in DEMO_RECORDS
        if r.collection == "/v1/accounts" and r.role == "account_manager"
    ]
    # An account manager creates accounts in their own territories only.
    assert {account["territory"] for account in by_lucas} <= set(users["am-lucas"].territories)
    assert {account.get("owner_id", "am-lucas") for account in accounts} <= set(users)
    assert any(account.get("parent_id") for account in accounts)
    assert {account["kind"] for account in accounts} == {"dealer", "end_user"}


def test_a_record_made_by_an_event_is_awaited_never_created(
    stand_in: tuple[str, StandIn],
) -> None:
    url, state = stand_in
    plan = DemoRecord(
        key="dupont-plan",
        collection="/v1/plans",
        role="account_manager",
        lookup={"account_id": Ref("garage-dupont"), "kind": "professionalism"},
        body={},
        made_by_event_within=1.0,
    )

    report = load_demo_data(url, TOKENS, [*RECORDS, plan])

    assert report.failed == ["dupont-plan: the event that makes it did not arrive"]
    assert not [post for post in state.posts() if post[1] == "/v1/plans"]
    account = state.collections["/v1/accounts"][0]
    state.collections["/v1/plans"] = [
        {"id": "plan-1", "account_id": account["id"], "kind": "professionalism"}
    ]
    again = load_demo_data(url, TOKENS, [*RECORDS, plan])
    assert "dupont-plan" in again.existing and not again.failed
