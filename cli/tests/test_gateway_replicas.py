"""The gateway in front of several replicas of a service: a dead or unready replica is out of
rotation at once, requests safe to repeat go to another replica, and with no replica left the
client gets a 503 problem."""

import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tread_cli.gateway import local_config, render_caddyfile
from tread_cli.processes import Child, wheel_binary
from tread_cli.services import SERVICES
from tread_cli.supervisor import Supervisor
from tread_shared.testing.nats_server import free_port


class _Server(http.server.ThreadingHTTPServer):
    # Every service's upstreams point at these two servers: the gateway's health checks reach
    # each one six at a time, every second. The default backlog of 5 let a busy machine drop
    # some connections (Caddy: "dial tcp …: i/o timeout"), which took a ready replica out too.
    request_queue_size = 128
    daemon_threads = True


class Replica:
    """Plays one replica of every service: answers with its name; ``ready`` drives /readyz;
    ``dies_mid_request`` makes it drop POSTs without an answer, as a killed process would."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ready = True
        self.dies_mid_request = False
        self.posts = 0
        replica = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/readyz"):
                    self._answer(200 if replica.ready else 503)
                else:
                    self._answer(200)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                replica.posts += 1
                if replica.dies_mid_request:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self._answer(201)

            def _answer(self, status: int) -> None:
                body = replica.name.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kill(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started = [Replica("a"), Replica("b")]
    yield started
    for replica in started:
        if replica.server.socket.fileno() != -1:
            replica.kill()


@pytest.fixture
def gateway(tmp_path: Path, replicas: list[Replica]) -> Iterator[str]:
    port = free_port()
    ports = {s.name: [r.port for r in replicas] for s in SERVICES}
    config = tmp_path / "Caddyfile"
    config.write_text(render_caddyfile(local_config(port, ports)))
    url = f"http://127.0.0.1:{port}"
    child = Child(
        name="gateway",
        argv=[wheel_binary("caddy"), "run", "--config", str(config), "--adapter", "caddyfile"],
        env={"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
        log_path=tmp_path / "caddy.log",
        url=url,
        ready_url=f"{url}/healthz",
    )
    supervisor = Supervisor([child], report=lambda _message: None)
    supervisor.start_all()
    try:
        supervisor.wait_ready(timeout=10)
        yield url
    finally:
        supervisor.stop_all()


def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def answered_by(gateway: str, count: int = 6) -> set[str]:
    return {httpx.get(f"{gateway}/v1/accounts").text for _ in range(count)}


def test_requests_are_spread_over_the_replicas(gateway: str) -> None:
    assert answered_by(gateway) == {"a", "b"}


def test_a_killed_replica_costs_no_request(gateway: str, replicas: list[Replica]) -> None:
    replicas[1].kill()

    reads = [httpx.get(f"{gateway}/v1/accounts") for _ in range(10)]
    writes = [httpx.post(f"{gateway}/v1/accounts", json={}) for _ in range(4)]

    # Refused connections are retried on the other replica, whatever the method.
    assert [(r.status_code, r.text) for r in reads] == [(200, "a")] * 10
    assert [(w.status_code, w.text) for w in writes] == [(201, "a")] * 4


def test_an_unready_replica_is_out_of_rotation_within_a_second_or_two(
    gateway: str, replicas: list[Replica]
) -> None:
    replicas[0].ready = False
    eventually(lambda: answered_by(gateway) == {"b"})
    replicas[0].ready = True
    eventually(lambda: answered_by(gateway) == {"a", "b"})


def test_a_write_lost_mid_request_is_repeated_only_with_an_idempotency_key(
    gateway: str, replicas: list[Replica]
) -> None:
    replicas[0].dies_mid_request = True

    keyed = [
        httpx.post(f"{gateway}/v1/accounts", json={}, headers={"Idempotency-Key": f"k{n}"})
        for n in range(2)
    ]
    assert [(k.status_code, k.text) for k in keyed] == [(201, "b")] * 2
    assert replicas[0].posts >= 1  # one of them reached the dying replica, and was repeated


def test_a_write_without_a_key_lost_mid_request_is_not_repeated(
    gateway: str, replicas: list[Replica]
) -> None:
    replicas[0].dies_mid_request = True

    answers = [httpx.post(f"{gateway}/v1/accounts", json={}) for _ in range(2)]

    # Round robin: one of the two went to the dying replica; the client hears of it (it may
    # have taken effect) rather than having it done twice.
    assert sorted(a.status_code for a in answers) == [201, 502]
    assert replicas[1].posts == 1


def test_no_replica_left_is_a_503_problem(gateway: str, replicas: list[Replica]) -> None:
    for replica in replicas:
        replica.ready = False
    eventually(lambda: httpx.get(f"{gateway}/v1/reports/events").status_code == 503)

    answer = httpx.get(f"{gateway}/v1/reports/events")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["type"] == "urn:tread:problem:service-unavailable"
