import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tread_cli.gateway import (
    ROUTES,
    compose_config,
    local_config,
    render_caddyfile,
    split_origins,
)
from tread_cli.main import main
from tread_cli.processes import Child, wheel_binary
from tread_cli.services import SERVICES
from tread_cli.supervisor import Supervisor
from tread_shared.testing.nats_server import free_port

REPO = Path(__file__).resolve().parents[2]
ORIGIN = "https://partners.example.com"
SERVICE_PORTS = {s.name: 8101 + i for i, s in enumerate(SERVICES)}


def caddy(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [wheel_binary("caddy"), *args, "--config", str(config), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=30,
    )


def adapted_routes(tmp_path: Path, caddyfile: str) -> list[dict[str, Any]]:
    path = tmp_path / "Caddyfile"
    path.write_text(caddyfile)
    done = caddy("adapt", config=path)
    assert done.returncode == 0, done.stderr
    assert "not formatted" not in done.stderr  # what we write is what `caddy fmt` would write
    routes: list[dict[str, Any]] = json.loads(done.stdout)["apps"]["http"]["servers"]["srv0"][
        "routes"
    ]
    return routes


def upstream_of(routes: list[dict[str, Any]], path: str) -> str | None:
    """The upstream a request path ends at, read from Caddy's own JSON (first match wins)."""
    for route in routes:
        paths = [p for m in route.get("match", []) for p in m.get("path", [])]
        if route.get("match") and not paths:
            continue  # header/method matchers: the CORS routes
        if paths and not any(
            path == p or (p.endswith("*") and path.startswith(p[:-1])) for p in paths
        ):
            continue
        text = json.dumps(route)
        if '"reverse_proxy"' not in text:
            if '"static_response"' in text:
                return None
            continue
        if '"dynamic_upstreams"' in text:  # compose: every replica DNS gives the name
            dynamic = json.loads(text.split('"dynamic_upstreams": ')[1].split("}")[0] + "}")
            return f"{dynamic['name']}:{dynamic['port']}"
        return str(text.split('"dial": "')[1].split('"')[0])
    return None


def test_every_resource_goes_to_the_service_that_owns_it(tmp_path: Path) -> None:
    routes = adapted_routes(tmp_path, render_caddyfile(local_config(8080, SERVICE_PORTS)))

    for service, resources in ROUTES.items():
        upstream = f"127.0.0.1:{SERVICE_PORTS[service]}"
        for resource in resources:
            assert upstream_of(routes, f"/v1/{resource}") == upstream
            assert upstream_of(routes, f"/v1/{resource}/0192-abc/history") == upstream
        assert upstream_of(routes, f"/openapi/{service}.json") == upstream
    assert upstream_of(routes, "/v1/accountsx") is None
    assert upstream_of(routes, "/v2/accounts") is None


def test_no_resource_is_claimed_twice() -> None:
    resources = [r for owned in ROUTES.values() for r in owned]
    assert len(resources) == len(set(resources))
    assert set(ROUTES) == {s.name for s in SERVICES}


def test_compose_gateway_reaches_services_by_their_compose_names(tmp_path: Path) -> None:
    routes = adapted_routes(tmp_path, render_caddyfile(compose_config()))

    assert upstream_of(routes, "/v1/offers") == "contracts:8103"
    assert upstream_of(routes, "/v1/price-positioning") == "market-intel:8104"


def test_committed_compose_caddyfile_is_the_generated_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TREAD_GATEWAY_CORS_ORIGINS", raising=False)
    with pytest.raises(SystemExit):
        main(["gateway-config", "--compose"])
    generated = capsys.readouterr().out

    assert (REPO / "deploy" / "gateway" / "Caddyfile").read_text() == generated
    assert generated == render_caddyfile(compose_config())


@pytest.mark.parametrize("origins", [(), (ORIGIN, "http://localhost:5173")])
def test_generated_caddyfiles_are_valid(tmp_path: Path, origins: tuple[str, ...]) -> None:
    for config in (local_config(8080, SERVICE_PORTS, origins), compose_config(origins)):
        path = tmp_path / "Caddyfile"
        path.write_text(render_caddyfile(config))
        done = caddy("validate", config=path)
        assert done.returncode == 0, done.stderr


def test_cors_origins_must_be_origins() -> None:
    assert split_origins(f" {ORIGIN}, http://localhost:5173 ,") == [ORIGIN, "http://localhost:5173"]
    for wrong in ("partners.example.com", "https://x.com/path", "https://x.com }", "*"):
        with pytest.raises(ValueError):
            split_origins(wrong)


@pytest.fixture
def lone_gateway(tmp_path: Path) -> Iterator[str]:
    """The gateway, with no service behind it."""
    port = free_port()
    nobody = {s.name: free_port() for s in SERVICES}
    config = tmp_path / "Caddyfile"
    config.write_text(render_caddyfile(local_config(port, nobody, [ORIGIN])))
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


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def test_unknown_paths_get_a_404_problem(lone_gateway: str) -> None:
    for path in ("/v1/nope", "/", "/v1/accountsx", "/openapi/billing.json"):
        assert_problem(httpx.get(lone_gateway + path), 404)


def test_a_service_that_does_not_answer_gives_a_502_problem(lone_gateway: str) -> None:
    assert_problem(httpx.get(lone_gateway + "/v1/accounts?limit=5"), 502)


def test_preflight_from_a_configured_origin_is_answered(lone_gateway: str) -> None:
    answer = httpx.options(
        lone_gateway + "/v1/offers/123",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match",
        },
    )

    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"]
    for header in ("Authorization", "Content-Type", "Idempotency-Key", "If-Match"):
        assert header in allowed
    assert answer.headers["vary"] == "Origin"


def test_other_origins_get_no_cors_headers(lone_gateway: str) -> None:
    answer = httpx.options(
        lone_gateway + "/v1/offers",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert answer.status_code != 204
    assert "access-control-allow-origin" not in answer.headers


def test_gateway_health(lone_gateway: str) -> None:
    answer = httpx.get(lone_gateway + "/healthz")
    assert answer.json() == {"status": "ok", "service": "gateway"}


class _Upstream(http.server.BaseHTTPRequestHandler):
    """Stands in for a service: reads the body it is sent, answers 204."""

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding") == "chunked":
            while size := int(self.rfile.readline().strip() or b"0", 16):
                self.rfile.read(size + 2)
            self.rfile.readline()
        else:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxying_gateway(tmp_path: Path) -> Iterator[str]:
    """The gateway, every service behind it played by one small HTTP server."""
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    config = tmp_path / "Caddyfile"
    ports = {s.name: upstream.server_address[1] for s in SERVICES}
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
        upstream.shutdown()


def test_a_body_over_the_cap_is_a_413_problem_at_the_gateway(proxying_gateway: str) -> None:
    within = httpx.post(proxying_gateway + "/v1/accounts", content=b"x" * 1000)
    declared = httpx.post(proxying_gateway + "/v1/accounts", content=b"x" * (1024 * 1024 + 1))
    streamed = httpx.post(  # no Content-Length: refused once past the cap
        proxying_gateway + "/v1/accounts", content=iter([b"x" * 65536] * 17)
    )

    assert within.status_code == 204
    for answer in (declared, streamed):
        assert_problem(answer, 413)
        assert answer.json()["type"] == "urn:tread:problem:payload-too-large"


def test_header_fields_up_to_a_mebibyte_reach_the_service(proxying_gateway: str) -> None:
    """The service answers too large header fields with a problem; the gateway's HTTP server
    would answer plain text, so it lets them through up to 1 MiB."""
    padding = {f"X-Padding-{n}": "x" * 10_000 for n in range(10)}  # 100 KB
    answer = httpx.post(proxying_gateway + "/v1/accounts", content=b"{}", headers=padding)

    assert answer.status_code == 204


def test_a_catalogue_import_takes_a_larger_body_than_other_paths(proxying_gateway: str) -> None:
    six_mb = b"x" * (6 * 1024 * 1024)
    imported = httpx.post(proxying_gateway + "/v1/products/imports", content=six_mb, timeout=30)
    elsewhere = httpx.post(proxying_gateway + "/v1/products", content=six_mb, timeout=30)
    too_large = httpx.post(
        proxying_gateway + "/v1/products/imports",
        content=b"x" * (16 * 1024 * 1024 + 1),
        timeout=30,
    )

    assert imported.status_code == 204
    for answer in (elsewhere, too_large):
        assert_problem(answer, 413)
        assert answer.json()["type"] == "urn:tread:problem:payload-too-large"
