"""``tread up`` end to end: the real command in a subprocess, every part on a free port, used
through its gateway as a client would.

On SQLite with its own nats-server by default; with ``TREAD_TEST_POSTGRES_URL`` and
``TREAD_TEST_NATS_URL`` it runs with ``--postgres`` and ``--nats`` instead, in databases and a
stream of its own. The tests share one running platform and run in file order: the last one
stops it."""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tread_cli.processes import pid_alive
from tread_cli.services import SERVICES
from tread_cli.state import read_state
from tread_cli.testing import Platform, answers_200, eventually, running_platform

pytestmark = pytest.mark.slow

ORIGIN = "http://localhost:5173"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("tread-up"), "--cors-origin", ORIGIN) as platform:
        yield platform


def test_it_prints_the_gateway_services_and_a_token_per_role(platform: Platform) -> None:
    printed = platform.output.read_text()

    assert platform.gateway in printed
    for service in SERVICES:
        assert f"http://127.0.0.1:{platform.service_ports[service.name]}" in printed
        assert f"{platform.gateway}/openapi/{service.name}.json" in printed
    for role in ("ACCOUNT_MANAGER", "KEY_ACCOUNT_MANAGER", "DISTRICT_MANAGER", "ADMIN"):
        assert f"export TREAD_TOKEN_{role}='ey" in printed
    assert "demo data:" in printed


def test_reporting_counts_events_of_every_service_through_the_gateway(
    platform: Platform,
) -> None:
    headers = {"Authorization": f"Bearer {platform.admin_token}"}
    wanted = {f"tread.{s.name}.instance.started.v1" for s in SERVICES}

    def counted() -> set[str] | None:
        answer = httpx.get(f"{platform.gateway}/v1/reports/events", headers=headers)
        assert answer.status_code == 200, answer.text
        types = {item["type"] for item in answer.json()["items"]}
        return types if wanted <= types else None

    eventually(counted, 10, "instance.started of all five services counted")


def test_a_token_printed_by_tread_up_works_as_is(platform: Platform) -> None:
    env_file = (platform.var_dir / "dev-tokens.env").read_text()
    token = env_file.split("TREAD_TOKEN_CENTRAL='")[1].split("'")[0]

    answer = httpx.get(
        f"{platform.gateway}/v1/reports/events", headers={"Authorization": f"Bearer {token}"}
    )

    assert answer.status_code == 200


def test_the_demo_portfolio_is_there_for_the_development_users(platform: Platform) -> None:
    tokens = dict(
        line.removeprefix("export ").replace("'", "").split("=", 1)
        for line in (platform.var_dir / "dev-tokens.env").read_text().splitlines()
    )

    def get(role: str, path: str) -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {tokens[f'TREAD_TOKEN_{role}']}"}
        answer = httpx.get(f"{platform.gateway}{path}", headers=headers)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def accounts_created_counted() -> bool | None:
        counts = {i["type"]: i["count"] for i in get("ADMIN", "/v1/reports/events")}
        return counts.get("tread.accounts.account.created.v1", 0) >= 6 or None

    assert "demo data: " in platform.output.read_text()
    assert "failed" not in platform.output.read_text().split("demo data: ")[1].split("\n")[0]
    names = {account["name"] for account in get("ACCOUNT_MANAGER", "/v1/accounts")}
    assert {"Huadong Tyre Group", "Jingjin Cold Chain Logistics"} <= names
    [contract] = get("ACCOUNT_MANAGER", "/v1/contracts")
    assert (contract["status"], contract["tier"]) == ("active", "gold")
    eventually(accounts_created_counted, 10, "the demo accounts counted by reporting")


def test_unknown_paths_are_a_404_problem(platform: Platform) -> None:
    answer = httpx.get(f"{platform.gateway}/v1/nope")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 404


def test_too_many_header_bytes_are_a_431_problem_through_the_gateway(platform: Platform) -> None:
    headers = {f"X-Padding-{n}": "x" * 10_000 for n in range(10)}  # 100 KB, over 32 KiB
    headers["Authorization"] = f"Bearer {platform.admin_token}"
    for service in SERVICES:
        answer = httpx.get(f"{platform.gateway}/openapi/{service.name}.json", headers=headers)

        assert answer.status_code == 431, service.name
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "urn:tread:problem:header-fields-too-large"


def test_each_service_openapi_is_served_gzipped_on_request(platform: Platform) -> None:
    for service in SERVICES:
        answer = httpx.get(
            f"{platform.gateway}/openapi/{service.name}.json",
            headers={"Accept-Encoding": "gzip"},
        )
        assert answer.status_code == 200
        assert answer.headers["content-encoding"] == "gzip"
        assert "/readyz" in answer.json()["paths"]


def test_browsers_of_the_configured_origin_may_call(platform: Platform) -> None:
    preflight = httpx.options(
        f"{platform.gateway}/v1/reports/events",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    call = httpx.get(
        f"{platform.gateway}/v1/reports/events",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {platform.admin_token}"},
    )

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    assert call.headers["access-control-allow-origin"] == ORIGIN
    assert "X-Request-Id" in call.headers["access-control-expose-headers"]


def test_request_id_and_trace_pass_through_the_gateway(platform: Platform) -> None:
    trace_id = uuid.uuid4().hex
    answer = httpx.get(
        f"{platform.gateway}/v1/reports/events",
        headers={"X-Request-Id": "e2e-request-1", "traceparent": f"00-{trace_id}-{'1' * 16}-01"},
    )

    assert answer.status_code == 401  # no token: still the service answering
    assert answer.headers["x-request-id"] == "e2e-request-1"
    assert answer.headers["traceparent"].split("-")[1] == trace_id


def test_a_client_accepting_gzip_can_change_what_it_read(platform: Platform) -> None:
    # Between 512 bytes and 1 KB: the size a gateway that compressed on its own would have
    # compressed (changing the ETag) while the service does not.
    headers = {"Authorization": f"Bearer {platform.admin_token}", "Accept-Encoding": "gzip"}
    address = {"line1": "88 Century Avenue", "city": "Shanghai", "country": "CN"}
    addresses = [address] * 3
    created = httpx.post(
        f"{platform.gateway}/v1/accounts",
        headers=headers,
        json={"kind": "dealer", "name": "Gzip Tyres", "territory": "EAST", "addresses": addresses},
    )
    assert created.status_code == 201, created.text
    url = f"{platform.gateway}/v1/accounts/{created.json()['id']}"

    read = httpx.get(url, headers=headers)
    assert 512 < len(read.content) < 1024
    changed = httpx.patch(
        url, headers={**headers, "If-Match": read.headers["etag"]}, json={"segment": "fleet"}
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["segment"] == "fleet"


def test_status_shows_every_part_ready_and_the_reporting_consumer(platform: Platform) -> None:
    done = platform.tread("status", "--json", "--stream", platform.stream)

    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    names = {p["name"]: p["readiness"] for p in report["processes"]}
    assert {s.name for s in SERVICES} | {"gateway"} <= set(names)
    assert set(names.values()) == {"ready"}
    assert report["broker"]["stream"]["messages"] >= len(SERVICES)
    assert "reporting" in {c["name"] for c in report["broker"]["consumers"]}


def test_a_crashed_service_is_restarted(platform: Platform) -> None:
    before = platform.pids()["accounts"]

    os.kill(before, signal.SIGKILL)

    after = eventually(
        lambda: (pid := platform.pids()["accounts"]) != before and pid,
        10,
        "accounts started again",
    )
    assert pid_alive(after)
    readyz = f"http://127.0.0.1:{platform.service_ports['accounts']}/readyz"
    eventually(lambda: answers_200(readyz), 20, "accounts ready again")
    assert "accounts started again" in platform.output.read_text()


def test_ctrl_c_stops_everything_and_leaves_no_process(platform: Platform) -> None:
    platform.pids()

    platform.process.send_signal(signal.SIGINT)

    assert platform.process.wait(30) == 0
    assert [pid for pid in platform.seen_pids if pid_alive(pid)] == []
    assert read_state(platform.var_dir) is None
    assert platform.output.read_text().rstrip().endswith("tread: stopped")
