"""docker-compose.yml, the Dockerfiles and deploy/ held against the code.

Docker is not needed: the files are read and compared with what the services really accept
(their Settings classes, ports, packages, migrations); the NATS cluster configuration is run for
real, three nodes from the nats-server wheel, on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from tread_accounts.settings import Settings as AccountsSettings
from tread_actionplans.settings import Settings as ActionPlansSettings
from tread_contracts.settings import Settings as ContractsSettings
from tread_inbox.settings import Settings as InboxSettings
from tread_market_intel.settings import Settings as MarketIntelSettings
from tread_reporting.settings import Settings as ReportingSettings
from tread_shared.auth.tokens import TokenVerifier
from tread_shared.events.broker import Broker
from tread_shared.settings import ServiceSettings
from tread_shared.testing.nats_server import free_port, nats_server_binary

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NATS_CONFIG = ROOT / "deploy" / "nats" / "nats.conf"
POSTGRES_INIT = ROOT / "deploy" / "postgres"
CADDYFILE_MOUNT = ("./deploy/gateway/Caddyfile", "/etc/caddy/Caddyfile")

SETTINGS: dict[str, type[ServiceSettings]] = {
    "accounts": AccountsSettings,
    "actionplans": ActionPlansSettings,
    "contracts": ContractsSettings,
    "market-intel": MarketIntelSettings,
    "reporting": ReportingSettings,
    "inbox": InboxSettings,
}
NATS_NODES = ("nats-1", "nats-2", "nats-3")
# Healthy once the node reaches a JetStream meta leader (the cluster has a quorum).
NATS_HEALTH = "/healthz?js-meta-only=true"


def package_of(settings_class: type[ServiceSettings]) -> str:
    return settings_class.__module__.split(".")[0]


def interpolate(value: Any) -> str:
    """What compose makes of ``${VAR:-default}`` with nothing set: the default."""
    return re.sub(r"\$\{[A-Z0-9_]+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", str(value))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict), "docker-compose.yml is not a YAML mapping"
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "write environment as a mapping, so anchors can share values"
    return {key: interpolate(value) for key, value in env.items()}


def listening_port(name: str, service: dict[str, Any]) -> int:
    """The port the service listens on: ``--port`` of its command, else its settings."""
    command = service.get("command") or []
    if "--port" in command:
        return int(command[command.index("--port") + 1])
    settings_class = SETTINGS[name]
    configured = environment_of(service).get(
        f"{settings_class.model_config['env_prefix']}HTTP_PORT"
    )
    return int(configured or settings_class.model_fields["http_port"].default)


def test_compose_file_has_the_whole_platform(services: dict[str, Any]) -> None:
    expected = {"postgres", "gateway", *NATS_NODES, *SETTINGS, *(f"{s}-migrate" for s in SETTINGS)}
    missing = expected - services.keys()
    assert not missing, f"docker-compose.yml lacks the services {sorted(missing)}"


def test_every_dependency_names_a_service_and_a_condition(services: dict[str, Any]) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}: depends_on must give a condition per service"
        for other, rule in depends_on.items():
            assert other in services, f"{name} depends on {other!r}, which is not a service"
            assert rule.get("condition") in {
                "service_healthy",
                "service_completed_successfully",
            }, f"{name} → {other}: condition {rule.get('condition')!r} waits for nothing useful"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[other], (
                    f"{name} waits for {other} to be healthy, but {other} has no healthcheck"
                )


@pytest.mark.parametrize("name", SETTINGS)
def test_service_and_its_migration_are_built_from_its_dockerfile(
    services: dict[str, Any], name: str
) -> None:
    for compose_name in (name, f"{name}-migrate"):
        build = services[compose_name].get("build")
        assert isinstance(build, dict), f"{compose_name} has no build section"
        assert build.get("context") == ".", (
            f"{compose_name}: the build context must be the repository root (shared/ is needed)"
        )
        dockerfile = build.get("dockerfile")
        assert dockerfile == f"services/{name}/Dockerfile", (
            f"{compose_name} builds from {dockerfile!r}, not its own services/{name}/Dockerfile"
        )
        assert (ROOT / dockerfile).is_file(), f"{compose_name}: {dockerfile} does not exist"
    assert services[name]["image"] == services[f"{name}-migrate"]["image"], (
        f"{name}-migrate must run the same image as {name}, or it migrates another version"
    )


@pytest.mark.parametrize("name", SETTINGS)
def test_migration_runs_once_before_the_service(services: dict[str, Any], name: str) -> None:
    package = package_of(SETTINGS[name])
    migrate = services[f"{name}-migrate"]
    assert migrate.get("command") == ["python", "-m", package, "migrate"], (
        f"{name}-migrate does not run `python -m {package} migrate`: {migrate.get('command')}"
    )
    assert migrate.get("restart") == "no", f"{name}-migrate is one-shot: restart must be 'no'"
    assert migrate["depends_on"].get("postgres") == {"condition": "service_healthy"}, (
        f"{name}-migrate must wait for PostgreSQL to be healthy"
    )
    depends_on = services[name]["depends_on"]
    assert depends_on.get(f"{name}-migrate") == {"condition": "service_completed_successfully"}, (
        f"{name} must start only after {name}-migrate completed successfully"
    )
    for platform in ("postgres", *NATS_NODES):
        assert depends_on.get(platform) == {"condition": "service_healthy"}, (
            f"{name} must wait for {platform} to be healthy"
        )


@pytest.mark.parametrize("name", SETTINGS)
def test_service_health_and_port_match_its_settings(services: dict[str, Any], name: str) -> None:
    service = services[name]
    port = listening_port(name, service)
    assert [str(p) for p in service.get("expose", [])] == [str(port)], (
        f"{name} listens on {port} but exposes {service.get('expose')}"
    )
    healthcheck = service.get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    test = " ".join(healthcheck["test"])
    assert f"http://127.0.0.1:{port}/healthz" in test, (
        f"{name}'s healthcheck does not ask /healthz on its port {port}: {test}"
    )
    assert "ports" not in service, (
        f"{name} publishes ports: replicas then clash; only the gateway publishes"
    )


@pytest.mark.parametrize("name", SETTINGS)
def test_every_variable_is_a_setting_of_the_service(
    services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_class = SETTINGS[name]
    prefix = settings_class.model_config["env_prefix"]
    assert prefix, f"{settings_class} has no env_prefix"
    for compose_name in (name, f"{name}-migrate"):
        env = environment_of(services[compose_name])
        assert env, f"{compose_name} sets no settings"
        for variable in env:
            assert variable.startswith(prefix), (
                f"{compose_name}: {variable} lacks the prefix {prefix} and would be ignored"
            )
            field = variable.removeprefix(prefix).lower()
            assert field in settings_class.model_fields, (
                f"{compose_name}: {variable} names no field of {settings_class.__module__}"
                f".Settings (no {field!r})"
            )
        # The values must be ones the service accepts, with nothing else set in the shell.
        with monkeypatch.context() as patch:
            for variable in [v for v in os.environ if v.startswith(prefix)]:
                patch.delenv(variable)
            for variable, value in env.items():
                patch.setenv(variable, value)
            settings = settings_class()
        assert settings.nats_servers == [f"nats://{node}:4222" for node in NATS_NODES], (
            f"{compose_name} does not list the three NATS nodes: {settings.nats_url}"
        )
        assert settings.nats_stream_replicas == len(NATS_NODES), (
            f"{compose_name}: streams must be replicated on all {len(NATS_NODES)} nodes"
        )
        # With no identity provider chosen yet the service starts and refuses tokens (401).
        assert not TokenVerifier.from_settings(settings).configured


def test_every_database_url_names_a_database_the_init_script_creates(
    services: dict[str, Any],
) -> None:
    scripts = sorted(POSTGRES_INIT.glob("*.sql"))
    assert scripts, f"no init script in {POSTGRES_INIT.relative_to(ROOT)}"
    created = {
        match.lower()
        for script in scripts
        for match in re.findall(r"CREATE DATABASE\s+(\w+)", script.read_text(), re.IGNORECASE)
    }
    mounts = services["postgres"].get("volumes", [])
    assert "./deploy/postgres:/docker-entrypoint-initdb.d:ro" in mounts, (
        "the postgres service does not mount deploy/postgres as its init scripts"
    )
    databases: dict[str, str] = {}
    for name, settings_class in SETTINGS.items():
        variable = f"{settings_class.model_config['env_prefix']}DATABASE_URL"
        url = make_url(environment_of(services[name])[variable])
        assert url.drivername == "postgresql+asyncpg", f"{name}: {url.drivername} is not asyncpg"
        assert url.host == "postgres", f"{name} connects to {url.host}, not the postgres service"
        assert url.database in created, (
            f"{name} uses database {url.database!r}, which the init script does not create "
            f"(it creates {sorted(created)})"
        )
        databases[name] = str(url.database)
    assert len(set(databases.values())) == len(databases), f"services share a database: {databases}"


def test_nats_nodes_form_a_three_route_jetstream_cluster(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    config = NATS_CONFIG.read_text()
    routes_block = re.search(r"routes\s*:\s*\[([^\]]*)\]", config)
    assert routes_block, "deploy/nats/nats.conf has no cluster routes"
    routes = re.findall(r"nats-route://([\w-]+):(\d+)", routes_block.group(1))
    assert routes == [(node, "6222") for node in NATS_NODES], (
        f"the routes must be the three compose nodes on 6222, not {routes}"
    )
    assert re.search(r"jetstream\s*\{[^}]*store_dir:\s*/data", config), (
        "JetStream must be on, with its file store in /data (the node's volume)"
    )
    names: set[str] = set()
    for node in NATS_NODES:
        service = services[node]
        assert service["image"].startswith("nats:2."), f"{node} is not the official nats image"
        assert f"./deploy/nats/nats.conf:{service['command'][-1]}:ro" in service["volumes"], (
            f"{node} does not run with deploy/nats/nats.conf"
        )
        data = [v for v in service["volumes"] if v.endswith(":/data")]
        assert len(data) == 1, f"{node} keeps its JetStream store in no volume"
        assert data[0].split(":")[0] in compose["volumes"], f"{node}: {data[0]} is not declared"
        assert f"http://127.0.0.1:8222{NATS_HEALTH}" in service["healthcheck"]["test"], (
            f"{node}'s healthcheck does not wait for the JetStream meta leader ({NATS_HEALTH})"
        )
        names.add(service["environment"]["NATS_SERVER_NAME"])
    assert names == set(NATS_NODES), f"every node needs its own server name, got {names}"


def test_gateway_serves_the_services_behind_one_port(services: dict[str, Any]) -> None:
    gateway = services["gateway"]
    assert gateway["image"].startswith("caddy:2"), "the gateway is the official Caddy image"
    published = [interpolate(port) for port in gateway.get("ports", [])]
    assert published == ["8080:8080"], f"the gateway must publish 8080, not {published}"
    source, target = CADDYFILE_MOUNT
    assert f"{source}:{target}:ro" in gateway.get("volumes", []), (
        f"the gateway must mount {source} read-only at {target}"
    )
    assert gateway["depends_on"] == {name: {"condition": "service_healthy"} for name in SETTINGS}, (
        "the gateway must wait for the five services to be healthy"
    )
    assert "http://127.0.0.1:8080/healthz" in gateway["healthcheck"]["test"], (
        "the gateway's healthcheck must ask its own /healthz"
    )
    caddyfile = ROOT / source
    assert caddyfile.is_file(), f"{source} is missing: tread gateway-config --compose > {source}"
    assert re.search(r"handle /healthz\b", caddyfile.read_text()), (
        f"{source} does not answer /healthz, which the gateway's healthcheck asks"
    )


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = interpolate(mount).split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} mounts volume {source!r}, never declared"


# --- Dockerfiles -----------------------------------------------------------------------------


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    pairs: list[tuple[str, str]] = []
    for line in logical:
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def dockerignore_excludes(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (last match wins)."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex = regex.replace(r"\[", "[").replace(r"\]", "]")
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            excluded = not negate
    return excluded


@pytest.mark.parametrize("name", SETTINGS)
def test_dockerfile_runs_the_service_as_a_non_root_user(name: str) -> None:
    dockerfile = ROOT / "services" / name / "Dockerfile"
    instructions = dockerfile_instructions(dockerfile)
    froms = [i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM"]
    assert froms, f"{dockerfile} has no FROM"
    final_stage = instructions[froms[-1] :]
    assert final_stage[0][1].startswith("python:3.11-slim"), f"{name}: base is not python:3.11-slim"
    users = [arguments for instruction, arguments in final_stage if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), f"{name}'s image runs as root"
    port = SETTINGS[name].model_fields["http_port"].default
    assert ("EXPOSE", str(port)) in final_stage, f"{name}'s image does not EXPOSE {port}"
    healthcheck = " ".join(a for i, a in final_stage if i == "HEALTHCHECK")
    prefix = SETTINGS[name].model_config["env_prefix"]
    assert all(part in healthcheck for part in (f"'{prefix}HTTP_PORT'", f"'{port}'", "/healthz")), (
        f"{name}'s image HEALTHCHECK does not ask /healthz on {prefix}HTTP_PORT or {port}"
    )
    package = package_of(SETTINGS[name])
    cmd = [arguments for instruction, arguments in final_stage if instruction == "CMD"]
    assert cmd == [f'["python", "-m", "{package}", "serve", "--host", "0.0.0.0"]'], (
        f"{name}'s image does not serve `python -m {package} serve --host 0.0.0.0`: {cmd}"
    )


@pytest.mark.parametrize("name", SETTINGS)
def test_dockerfile_copies_only_what_exists_and_reaches_the_context(name: str) -> None:
    dockerfile = ROOT / "services" / name / "Dockerfile"
    copies = [a for i, a in dockerfile_instructions(dockerfile) if i == "COPY"]
    sources = [
        source.rstrip("/")
        for arguments in copies
        if not arguments.startswith("--from")
        for source in arguments.split()[:-1]
        if not source.startswith("--")
    ]
    assert f"services/{name}" in sources, f"{name}'s Dockerfile does not copy its own folder"
    for source in sources:
        assert (ROOT / source).exists(), f"{dockerfile}: COPY {source} names nothing in the repo"
        assert not dockerignore_excludes(source), f".dockerignore keeps {source} out of the build"
    package = package_of(SETTINGS[name])
    needed = [
        "shared/pyproject.toml",
        "shared/tread_shared/__init__.py",
        f"services/{name}/pyproject.toml",
        f"services/{name}/alembic.ini",
        f"services/{name}/{package}/__init__.py",
        f"services/{name}/migrations/env.py",
        *(
            str(p.relative_to(ROOT))
            for p in (ROOT / "services" / name / "migrations" / "versions").glob("*.py")
        ),
    ]
    for path in needed:
        assert (ROOT / path).exists(), f"{path} is gone: update this test"
        assert not dockerignore_excludes(path), f".dockerignore keeps {path} out of the image"
    assert dockerignore_excludes(f"services/{name}/tests/test_app.py"), "tests reach the image"
    assert dockerignore_excludes(".venv/bin/python"), "the developer's .venv reaches the context"


# --- The NATS cluster configuration, run for real ---------------------------------------------


@dataclass
class ClusterNode:
    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def loopback_cluster(tmp_path: Path) -> Iterator[dict[str, ClusterNode]]:
    """The three nodes of deploy/nats/nats.conf on loopback ports, each with its own store."""
    nodes = {
        node: {"client": free_port(), "monitor": free_port(), "route": free_port()}
        for node in NATS_NODES
    }
    config = NATS_CONFIG.read_text()
    running: dict[str, ClusterNode] = {}
    try:
        for node, ports in nodes.items():
            rewrites = {
                "0.0.0.0:4222": f"127.0.0.1:{ports['client']}",
                "0.0.0.0:8222": f"127.0.0.1:{ports['monitor']}",
                "0.0.0.0:6222": f"127.0.0.1:{ports['route']}",
                "store_dir: /data": f'store_dir: "{tmp_path / node}"',
                **{
                    f"nats-route://{other}:6222": f"nats-route://127.0.0.1:{p['route']}"
                    for other, p in nodes.items()
                },
            }
            text = config
            for old, new in rewrites.items():
                assert old in text, f"deploy/nats/nats.conf no longer has {old!r}: update the test"
                text = text.replace(old, new)
            node_config = tmp_path / f"{node}.conf"
            node_config.write_text(text)
            log = tmp_path / f"{node}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [nats_server_binary(), "--config", str(node_config)],
                    env={"NATS_SERVER_NAME": node},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            running[node] = ClusterNode(ports, process, log)
        yield running
    finally:
        for started in running.values():
            started.process.terminate()
        for started in running.values():
            try:
                started.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                started.process.kill()


def wait_until_healthy(node: ClusterNode, timeout: float = 20.0) -> None:
    url = f"http://127.0.0.1:{node.ports['monitor']}{NATS_HEALTH}"  # as the compose healthcheck
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise AssertionError(f"nats-server refused the config:\n{node.log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(url, timeout=1)
            if answer.status_code == 200:
                return
            last = answer.text
        time.sleep(0.1)
    raise AssertionError(f"a node never became healthy: {last}\n{node.log.read_text()[-2000:]}")


async def test_services_use_the_cluster_with_replicated_streams(
    loopback_cluster: dict[str, ClusterNode], services: dict[str, Any]
) -> None:
    for node in loopback_cluster.values():
        await asyncio.to_thread(wait_until_healthy, node)
    # The NATS URL exactly as compose gives it, pointed at the loopback nodes, plus a server
    # that is down: a service must still find the cluster.
    nats_url = environment_of(services["accounts"])["ACCOUNTS_NATS_URL"]
    for name, node in loopback_cluster.items():
        nats_url = nats_url.replace(f"{name}:4222", f"127.0.0.1:{node.ports['client']}")
    nats_url = f"nats://127.0.0.1:{free_port()},{nats_url}"
    settings = ServiceSettings(nats_url=nats_url, nats_stream="CLUSTERED", nats_stream_replicas=3)
    broker = Broker(settings)
    broker.start()
    try:
        js = await asyncio.wait_for(broker.wait_ready(), timeout=20)
        info = await js.stream_info("CLUSTERED")
        assert info.config.num_replicas == 3
        assert info.cluster is not None and info.cluster.replicas is not None
        peers = {info.cluster.leader, *(peer.name for peer in info.cluster.replicas)}
        assert peers == set(NATS_NODES), f"the stream is not on the three nodes: {peers}"
        ack = await js.publish("tread.accounts.account.created", b"{}")
        assert ack.stream == "CLUSTERED"
    finally:
        await broker.close()
