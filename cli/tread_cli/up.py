"""``tread up``: the whole platform on one machine. Migrate, start the broker, the
services and the gateway, wait until all are ready, print how to use them, then supervise until
Ctrl-C.

Scaled out: ``--replicas`` runs several processes of a service (on PostgreSQL: on SQLite one
process only may write a database file), replica ``n`` on the service's port + 10 x (n - 1),
all behind the gateway; ``--nats-cluster 3`` runs three NATS nodes from compose's configuration
(``tread_cli.nats_cluster``) and gives the streams three replicas."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import make_url

from tread_cli import demo
from tread_cli.databases import (
    DEFAULT_DATABASE_PREFIX,
    MigrationFailed,
    create_postgres_databases,
    database_urls,
    migrate,
)
from tread_cli.gateway import local_config, render_caddyfile
from tread_cli.nats_cluster import NATS_CONF, cluster_nodes, cluster_url, render_node_config
from tread_cli.processes import Child, port_answers, port_is_free, wheel_binary
from tread_cli.services import SERVICES
from tread_cli.state import ProcessState, UpState, clear_state, read_state, write_state
from tread_cli.supervisor import StartupFailed, StopRequested, Supervisor
from tread_cli.tokens import DEV_USERS, dev_user_tokens, public_key_file, write_token_env_file

DEFAULT_GATEWAY_PORT = 8080
# 4222 is NATS's standard port: a system NATS may already be there.
DEFAULT_NATS_PORT = 4223
# Replica n of a service listens on its port + REPLICA_PORT_STEP x (n - 1): 8101, 8111, 8121 …
REPLICA_PORT_STEP = 10
MAX_REPLICAS = 9


# Signing secrets of the billing and credit webhooks on a development machine, so that the
# README's walk-through can sign a webhook; a value set in the environment wins.
DEVELOPMENT_SECRETS = {
    "ACCOUNTS_CREDIT_WEBHOOK_SECRET": "dev-credit-secret",
    "ACCOUNTS_BILLING_WEBHOOK_SECRET": "dev-billing-secret",
}


def development_secrets(env_prefix: str) -> dict[str, str]:
    return {
        key: value
        for key, value in DEVELOPMENT_SECRETS.items()
        if key.startswith(env_prefix) and key not in os.environ
    }


@dataclass
class UpOptions:
    var_dir: Path
    gateway_port: int = DEFAULT_GATEWAY_PORT
    nats_port: int = DEFAULT_NATS_PORT
    service_ports: dict[str, int] = field(
        default_factory=lambda: {s.name: s.default_port for s in SERVICES}
    )
    postgres: str | None = None
    nats_url: str | None = None
    database_prefix: str = DEFAULT_DATABASE_PREFIX
    cors_origins: list[str] = field(default_factory=list)
    load_demo: bool = True
    ready_timeout: float = 60.0
    # Service name → processes (1 when absent).
    replicas: dict[str, int] = field(default_factory=dict)
    # NATS nodes tread starts (1: a single server; 3: a cluster from deploy/nats/nats.conf).
    nats_cluster: int = 1
    # Replicas of the streams; by default the cluster's size (1 with an external --nats).
    stream_replicas: int | None = None

    def replica_ports(self, service: str) -> list[int]:
        base = self.service_ports[service]
        count = self.replicas.get(service, 1)
        return [base + REPLICA_PORT_STEP * n for n in range(count)]

    @property
    def nats_stream_replicas(self) -> int:
        if self.stream_replicas is not None:
            return self.stream_replicas
        return 1 if self.nats_url else self.nats_cluster


def say(message: str) -> None:
    print(f"tread: {message}", flush=True)


class Up:
    def __init__(self, options: UpOptions) -> None:
        self.options = options
        self.var_dir = options.var_dir.resolve()
        self.logs = self.var_dir / "logs"
        self.nats_nodes = cluster_nodes(options.nats_cluster, options.nats_port)
        self.nats_url = options.nats_url or cluster_url(self.nats_nodes)
        self.gateway_url = f"http://127.0.0.1:{options.gateway_port}"
        self.database_urls: dict[str, str] = {}
        self.supervisor = Supervisor([], say, on_change=self._write_state)
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")

    def run(self) -> int:
        began = time.monotonic()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        problem = self._cannot_start()
        if problem:
            print(f"tread: {problem}", file=sys.stderr, flush=True)
            return 1
        options = self.options
        try:
            self.database_urls = database_urls(
                SERVICES, self.var_dir, options.postgres, options.database_prefix
            )
            self.supervisor.children = self._children()
        except (ValueError, FileNotFoundError) as exc:
            print(f"tread: {exc}", file=sys.stderr, flush=True)
            return 1
        self.supervisor.install_signal_handlers()
        try:
            self._migrate()
            if self.supervisor.stop_requested:
                return 0
            self.supervisor.start_all()
            self._write_state()
            self.supervisor.wait_ready(self.options.ready_timeout)
            self._announce(time.monotonic() - began)
            self.supervisor.supervise()
            return 0
        except StopRequested:
            return 0
        except MigrationFailed as exc:
            if self.supervisor.stop_requested:
                return 0
            print(f"tread: {exc}", file=sys.stderr, flush=True)
            return 1
        except StartupFailed as exc:
            print(
                f"tread: {exc}. Last lines of {exc.child.log_path}:\n{exc.child.log_tail()}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        finally:
            self.supervisor.stop_all()
            clear_state(self.var_dir)
            say("stopped")

    def _cannot_start(self) -> str | None:
        previous = read_state(self.var_dir)
        if previous is not None and previous.alive:
            return f"tread up already runs with {self.var_dir} (pid {previous.pid})"
        options = self.options
        scaled = [name for name, count in options.replicas.items() if count > 1]
        if scaled and not options.postgres:
            return (
                f"several replicas of {', '.join(scaled)} need PostgreSQL (--postgres): on SQLite "
                "one process only may write a database file"
            )
        ports: dict[str, int] = {}
        for name in options.service_ports:
            for number, port in enumerate(options.replica_ports(name), start=1):
                ports[f"{name} port" if number == 1 else f"{name} replica {number} port"] = port
        ports["gateway port"] = options.gateway_port
        if not options.nats_url:
            for node in self.nats_nodes:
                ports["NATS port" if len(self.nats_nodes) == 1 else f"{node.name} port"] = (
                    node.client_port
                )
                if options.nats_cluster > 1:
                    ports[f"{node.name} route port"] = node.route_port
                    ports[f"{node.name} monitoring port"] = node.monitor_port
        taken = [f"{what} {port}" for what, port in ports.items() if not port_is_free(port)]
        if taken:
            return "already in use on 127.0.0.1: " + ", ".join(taken) + " (see tread up --help)"
        if options.nats_url:
            try:
                servers = [urlsplit(u.strip()) for u in options.nats_url.split(",") if u.strip()]
                addresses = [(s.hostname or "127.0.0.1", s.port or 4222) for s in servers]
            except ValueError as exc:
                return f"--nats {options.nats_url}: {exc}"
            if not any(port_answers(port, host, timeout=2) for host, port in addresses):
                return f"NATS at {options.nats_url} does not answer"
        return None

    def _migrate(self) -> None:
        options = self.options
        if options.postgres:
            created = create_postgres_databases(options.postgres, self.database_urls.values())
            if created:
                say("created databases " + ", ".join(created))
        say(f"migrating {len(SERVICES)} databases ({self._database_description()})")
        migrate(SERVICES, self.database_urls, self.logs)

    def _database_description(self) -> str:
        if self.options.postgres:
            server = make_url(self.options.postgres)
            names = ", ".join(make_url(u).database or "" for u in self.database_urls.values())
            return f"PostgreSQL {server.host}:{server.port or 5432}: {names}"
        return f"SQLite files in {self.var_dir}"

    def _children(self) -> list[Child]:
        options = self.options
        children: list[Child] = [] if options.nats_url else self._nats_children()
        key_file = public_key_file(self.var_dir)
        for service in SERVICES:
            ports = options.replica_ports(service.name)
            for number, port in enumerate(ports, start=1):
                url = f"http://127.0.0.1:{port}"
                env = service.env(
                    database_url=self.database_urls[service.name],
                    nats_url=self.nats_url,
                    nats_stream_replicas=str(options.nats_stream_replicas),
                    jwt_public_key_file=str(key_file),
                    http_host="127.0.0.1",
                    http_port=str(port),
                )
                env.update(development_secrets(service.env_prefix))
                if service.name == "contracts":
                    # Offers name products of the market-intel catalogue that runs alongside.
                    env["CONTRACTS_CATALOGUE_CHECK"] = "true"
                name = service.name if len(ports) == 1 else f"{service.name}-{number}"
                children.append(
                    Child(
                        name=name,
                        argv=[sys.executable, "-m", service.package, "serve", "--port", str(port)],
                        env=env,
                        log_path=self.logs / f"{name}.log",
                        url=url,
                        ready_url=f"{url}/readyz",
                    )
                )
        gateway_dir = self.var_dir / "gateway"
        gateway_dir.mkdir(parents=True, exist_ok=True)
        caddyfile = gateway_dir / "Caddyfile"
        upstream_ports = {s.name: options.replica_ports(s.name) for s in SERVICES}
        config = local_config(options.gateway_port, upstream_ports, options.cors_origins)
        caddyfile.write_text(render_caddyfile(config))
        children.append(
            Child(
                name="gateway",
                argv=[
                    wheel_binary("caddy"),
                    "run",
                    "--config",
                    str(caddyfile),
                    "--adapter",
                    "caddyfile",
                ],
                # Caddy keeps its data and autosaved config under XDG dirs: keep them in var/.
                env={"XDG_DATA_HOME": str(gateway_dir), "XDG_CONFIG_HOME": str(gateway_dir)},
                log_path=self.logs / "gateway.log",
                url=self.gateway_url,
                ready_url=f"{self.gateway_url}/healthz",
            )
        )
        return children

    def _nats_children(self) -> list[Child]:
        if self.options.nats_cluster == 1:
            node = self.nats_nodes[0]
            argv = ["-a", "127.0.0.1", "-p", str(node.client_port), "-js"]
            argv += ["-sd", str(self.var_dir / "nats")]
            return [
                Child(
                    name="nats-server",
                    argv=[wheel_binary("nats-server"), *argv],
                    env={},
                    log_path=self.logs / "nats-server.log",
                    url=node.url,
                )
            ]
        template = NATS_CONF.read_text()
        children = []
        for node in self.nats_nodes:
            config = self.var_dir / "nats" / f"{node.name}.conf"
            config.parent.mkdir(parents=True, exist_ok=True)
            store = self.var_dir / "nats" / node.name
            config.write_text(render_node_config(template, node, self.nats_nodes, store))
            children.append(
                Child(
                    name=node.name,
                    argv=[wheel_binary("nats-server"), "--config", str(config)],
                    env={"NATS_SERVER_NAME": node.name},
                    log_path=self.logs / f"{node.name}.log",
                    url=node.url,
                    # Ready once in touch with a JetStream meta leader: the cluster has a quorum.
                    ready_url=f"http://127.0.0.1:{node.monitor_port}/healthz?js-meta-only=true",
                )
            )
        return children

    def _write_state(self) -> None:
        state = UpState(
            pid=os.getpid(),
            started_at=self.started_at,
            var_dir=str(self.var_dir),
            gateway_url=self.gateway_url,
            nats_url=self.nats_url,
            database="postgresql" if self.options.postgres else "sqlite",
            processes=[
                ProcessState(
                    name=child.name,
                    pid=child.pid,
                    url=child.url,
                    ready_url=child.ready_url,
                    log=str(child.log_path),
                    restarts=child.restarts,
                )
                for child in self.supervisor.children
            ],
        )
        write_state(self.var_dir, state)

    def _announce(self, took: float) -> None:
        tokens = dev_user_tokens(self.var_dir)
        token_file = write_token_env_file(self.var_dir, tokens)
        gateway = self.gateway_url
        rows = [("gateway", gateway, "")]
        for service in SERVICES:
            ports = self.options.replica_ports(service.name)
            url = f"http://127.0.0.1:{ports[0]}"
            more = f" (replicas also on {', '.join(map(str, ports[1:]))})"
            extra = f"OpenAPI {gateway}/openapi/{service.name}.json"
            rows.append((service.name, url, extra + (more if len(ports) > 1 else "")))
        nats_where = (
            "external" if self.options.nats_url else f"JetStream, data in {self.var_dir}/nats"
        )
        replicas = self.options.nats_stream_replicas
        for number, nats_url in enumerate(self.nats_url.split(","), start=1):
            where = nats_where + (f", stream replicas {replicas}" if replicas > 1 else "")
            rows.append(("NATS" if number == 1 else "", nats_url, where if number == 1 else ""))
        lines = [f"Tread is up ({took:.1f} s).", ""]
        lines += [f"  {name:<13} {url:<26} {extra}".rstrip() for name, url, extra in rows]
        lines += [
            f"  {'databases':<13} {self._database_description()}",
            f"  {'logs':<13} {self.logs}",
            "",
            f"Development tokens, one per role (12 h; `source {token_file}` sets them all):",
        ]
        lines += [f"  export {user.env_name}='{tokens[user.role]}'" for user in DEV_USERS]
        lines += [
            "",
            "Try:",
            f'  curl -H "Authorization: Bearer $TREAD_TOKEN_ADMIN" {gateway}/v1/reports/events',
            "",
        ]
        print("\n".join(lines), flush=True)
        if self.options.load_demo:
            try:
                say(f"demo data: {demo.load_demo_data(gateway, tokens).summary()}")
            except httpx.HTTPError as exc:
                say(f"demo data not loaded: {exc}")
        say("supervising; Ctrl-C stops everything")


def run_up(options: UpOptions) -> int:
    return Up(options).run()
