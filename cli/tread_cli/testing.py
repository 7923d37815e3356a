"""``tread up`` for tests: the real command in a subprocess, every part on a free port, used
through its gateway as a client would.

On SQLite with its own nats-server by default; with ``TREAD_TEST_POSTGRES_URL`` and
``TREAD_TEST_NATS_URL`` it runs with ``--postgres`` and ``--nats`` instead, in databases and a
stream of its own, dropped when it stops."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import nats

from tread_cli.databases import postgres_url
from tread_cli.services import SERVICES
from tread_cli.state import read_state
from tread_cli.tokens import dev_token
from tread_shared.testing.databases import PostgresDatabases, run_blocking
from tread_shared.testing.nats_server import free_port

T = TypeVar("T")


@dataclass
class Platform:
    process: subprocess.Popen[bytes]
    var_dir: Path
    output: Path
    gateway: str
    service_ports: dict[str, int]
    stream: str
    seen_pids: set[int] = field(default_factory=set)

    def tread(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tread_cli", *args, "--var-dir", str(self.var_dir)],
            capture_output=True,
            text=True,
            timeout=30,
        )

    @functools.cached_property
    def admin_token(self) -> str:
        return self.token("admin", "e2e-operator")

    def token(self, role: str, sub: str, *territories: str) -> str:
        """A token of the running stack's keys for ``sub`` with ``role`` (as ``tread token``
        makes it, without a process of its own)."""
        return dev_token(self.var_dir, sub=sub, roles=[role], territories=territories)

    def dev_tokens(self) -> dict[str, str]:
        """The tokens ``tread up`` printed, by role (``account_manager`` …)."""
        tokens: dict[str, str] = {}
        for line in (self.var_dir / "dev-tokens.env").read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            tokens[name.removeprefix("TREAD_TOKEN_").lower()] = value.strip("'")
        return tokens

    def pids(self) -> dict[str, int]:
        state = read_state(self.var_dir)
        assert state is not None
        pids = {p.name: p.pid for p in state.processes if p.pid is not None}
        self.seen_pids.update(pids.values())
        return pids

    def wait_ready(self, service: str, timeout: float = 30) -> None:
        readyz = f"http://127.0.0.1:{self.service_ports[service]}/readyz"
        eventually(lambda: answers_200(readyz), timeout, f"{service} ready")


def eventually(check: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.2)


def answers_200(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _external_options(suffix: str) -> tuple[list[str], dict[str, str], str]:
    """Flags and environment to run against the system PostgreSQL and NATS, isolated."""
    args: list[str] = []
    env: dict[str, str] = {}
    stream = "TREAD"
    postgres = os.environ.get("TREAD_TEST_POSTGRES_URL")
    if postgres:
        args += ["--postgres", postgres, "--database-prefix", f"tread_e2e_{suffix}_"]
    nats_url = os.environ.get("TREAD_TEST_NATS_URL")
    if nats_url:
        stream = f"E2E{suffix.upper()}"
        args += ["--nats", nats_url]
        for service in SERVICES:
            env |= service.env(nats_stream=stream, nats_subject_root=f"e2e{suffix}")
    return args, env, stream


def _clean_external(suffix: str, stream: str) -> None:
    postgres = os.environ.get("TREAD_TEST_POSTGRES_URL")
    if postgres:
        databases = PostgresDatabases(postgres)
        for service in SERVICES:
            databases.drop(postgres_url(postgres, service, f"tread_e2e_{suffix}_"))
    nats_url = os.environ.get("TREAD_TEST_NATS_URL")
    if nats_url:

        async def delete_streams() -> None:
            nc = await nats.connect(nats_url, connect_timeout=2)
            js = nc.jetstream()
            for name in (stream, f"{stream}_DEADLETTER"):
                with contextlib.suppress(Exception):
                    await js.delete_stream(name)
            await nc.close()

        run_blocking(delete_streams())


@contextlib.contextmanager
def running_platform(
    var_dir: Path, *extra_args: str, env: dict[str, str] | None = None
) -> Iterator[Platform]:
    """``tread up`` in ``var_dir`` until the block ends (then Ctrl-C, and the external
    databases and stream dropped)."""
    suffix = uuid.uuid4().hex[:8]
    external_args, external_env, stream = _external_options(suffix)
    ports = {service.name: free_port() for service in SERVICES}
    gateway_port = free_port()
    args = [
        "--var-dir", str(var_dir),
        "--gateway-port", str(gateway_port),
        "--nats-port", str(free_port()),
        "--ready-timeout", "60",
        *[arg for s in SERVICES for arg in (f"--{s.name}-port", str(ports[s.name]))],
        *external_args,
        *extra_args,
    ]  # fmt: skip
    output = var_dir / "tread-up.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tread_cli", "up", *args],
            env={**os.environ, **external_env, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    platform = Platform(process, var_dir, output, f"http://127.0.0.1:{gateway_port}", ports, stream)

    def up() -> bool:
        assert process.poll() is None, output.read_text()
        return "Ctrl-C stops everything" in output.read_text()

    try:
        eventually(up, 180, "tread up ready")
        platform.pids()
        yield platform
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        _clean_external(suffix, stream)
