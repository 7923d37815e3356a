"""``tread up``: the whole platform on one machine. Migrate, start the broker, the five
services and the gateway, wait until all are ready, print how to use them, then supervise until
Ctrl-C."""

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
from tread_cli.processes import Child, port_answers, port_is_free, wheel_binary
from tread_cli.services import SERVICES
from tread_cli.state import ProcessState, UpState, clear_state, read_state, write_state
from tread_cli.supervisor import StartupFailed, StopRequested, Supervisor
from tread_cli.tokens import DEV_USERS, dev_user_tokens, public_key_file, write_token_env_file

DEFAULT_GATEWAY_PORT = 8080
# 4222 is NATS's standard port: a system NATS may already be there.
DEFAULT_NATS_PORT = 4223


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


def say(message: str) -> None:
    print(f"tread: {message}", flush=True)


class Up:
    def __init__(self, options: UpOptions) -> None:
        self.options = options
        self.var_dir = options.var_dir.resolve()
        self.logs = self.var_dir / "logs"
        self.nats_url = options.nats_url or f"nats://127.0.0.1:{options.nats_port}"
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
        ports = {f"{name} port": port for name, port in self.options.service_ports.items()}
        ports["gateway port"] = self.options.gateway_port
        if not self.options.nats_url:
            ports["NATS port"] = self.options.nats_port
        taken = [f"{what} {port}" for what, port in ports.items() if not port_is_free(port)]
        if taken:
            return "already in use on 127.0.0.1: " + ", ".join(taken) + " (see tread up --help)"
        if self.options.nats_url:
            broker = urlsplit(self.options.nats_url)
            if not port_answers(broker.port or 4222, broker.hostname or "127.0.0.1", timeout=2):
                return f"NATS at {self.options.nats_url} does not answer"
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
        children: list[Child] = []
        if not options.nats_url:
            children.append(
                Child(
                    name="nats-server",
                    argv=[
                        wheel_binary("nats-server"),
                        "-a",
                        "127.0.0.1",
                        "-p",
                        str(options.nats_port),
                        "-js",
                        "-sd",
                        str(self.var_dir / "nats"),
                    ],
                    env={},
                    log_path=self.logs / "nats-server.log",
                    url=self.nats_url,
                )
            )
        key_file = public_key_file(self.var_dir)
        for service in SERVICES:
            port = options.service_ports[service.name]
            url = f"http://127.0.0.1:{port}"
            env = service.env(
                database_url=self.database_urls[service.name],
                nats_url=self.nats_url,
                jwt_public_key_file=str(key_file),
                http_host="127.0.0.1",
                http_port=str(port),
            )
            env.update(development_secrets(service.env_prefix))
            if service.name == "contracts":
                # Offers name products of the market-intel catalogue that runs alongside.
                env["CONTRACTS_CATALOGUE_CHECK"] = "true"
            children.append(
                Child(
                    name=service.name,
                    argv=[sys.executable, "-m", service.package, "serve", "--port", str(port)],
                    env=env,
                    log_path=self.logs / f"{service.name}.log",
                    url=url,
                    ready_url=f"{url}/readyz",
                )
            )
        gateway_dir = self.var_dir / "gateway"
        gateway_dir.mkdir(parents=True, exist_ok=True)
        caddyfile = gateway_dir / "Caddyfile"
        config = local_config(options.gateway_port, options.service_ports, options.cors_origins)
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
            url = f"http://127.0.0.1:{self.options.service_ports[service.name]}"
            rows.append((service.name, url, f"OpenAPI {gateway}/openapi/{service.name}.json"))
        nats_where = (
            "external" if self.options.nats_url else f"JetStream, data in {self.var_dir}/nats"
        )
        rows.append(("NATS", self.nats_url, nats_where))
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
