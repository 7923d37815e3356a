"""Keeps the children of ``tread up`` running: a child that exits is reported and started again
after a backoff that grows while it keeps crashing; a stop request stops them in reverse order."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from types import FrameType

import httpx

from tread_cli.processes import Child, port_answers

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
# A child that ran this long before exiting is not crash-looping: its backoff starts over.
STABLE_AFTER_SECONDS = 30.0
POLL_SECONDS = 0.2


class StopRequested(Exception):
    """SIGINT/SIGTERM arrived while waiting."""


class StartupFailed(RuntimeError):
    def __init__(self, child: Child, reason: str) -> None:
        super().__init__(f"{child.name} {reason}")
        self.child = child


def is_ready(child: Child) -> bool:
    """Its readiness URL answers 200 (or, for a child without one, its port accepts)."""
    if child.ready_url:
        try:
            return httpx.get(child.ready_url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False
    port = int(child.url.rsplit(":", 1)[1])
    return port_answers(port)


def describe_exit(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class Supervisor:
    def __init__(
        self,
        children: Sequence[Child],
        report: Callable[[str], None],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.children = list(children)
        self.report = report
        self.on_change = on_change
        self.stop_requested = False
        self._restart_due: dict[str, float] = {}
        self._crashes: dict[str, int] = {}
        self._awaiting_ready: set[str] = set()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_requested = True

    def start_all(self) -> None:
        for child in self.children:
            child.start()

    def wait_ready(self, timeout: float) -> None:
        """Until every child is ready; raises if one exits, if time runs out, or on a stop."""
        waiting = list(self.children)
        deadline = time.monotonic() + timeout
        while waiting:
            if self.stop_requested:
                raise StopRequested
            for child in list(waiting):
                code = child.exit_code()
                if code is not None:
                    raise StartupFailed(child, f"stopped while starting ({describe_exit(code)})")
                if is_ready(child):
                    waiting.remove(child)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(child.name for child in waiting)
                raise StartupFailed(
                    waiting[0], f"not ready after {timeout:.0f}s (waiting: {names})"
                )
            if waiting:
                time.sleep(POLL_SECONDS)

    def supervise(self) -> None:
        """Until a stop is requested."""
        while not self.stop_requested:
            self.check_once()
            time.sleep(POLL_SECONDS)

    def check_once(self) -> None:
        now = time.monotonic()
        for child in self.children:
            due = self._restart_due.get(child.name)
            if due is not None:
                if now >= due:
                    del self._restart_due[child.name]
                    child.restarts += 1
                    child.start()
                    self._awaiting_ready.add(child.name)
                    self.report(f"{child.name} started again (pid {child.pid})")
                    self.on_change()
                continue
            code = child.exit_code()
            if code is not None:
                self._schedule_restart(child, code, now)
            elif child.name in self._awaiting_ready and is_ready(child):
                self._awaiting_ready.discard(child.name)
                self.report(f"{child.name} is ready again")

    def _schedule_restart(self, child: Child, code: int, now: float) -> None:
        ran = now - child.started_at
        crashes = 1 if ran >= STABLE_AFTER_SECONDS else self._crashes.get(child.name, 0) + 1
        self._crashes[child.name] = crashes
        delay = min(BACKOFF_FIRST_SECONDS * 2 ** (crashes - 1), BACKOFF_MAX_SECONDS)
        self._restart_due[child.name] = now + delay
        self._awaiting_ready.discard(child.name)
        message = (
            f"{child.name} (pid {child.pid}) stopped after {ran:.1f}s ({describe_exit(code)}); "
            f"restarting in {delay:.1f}s; log {child.log_path}"
        )
        if code > 0:  # it failed by itself: its last words say why
            message += ":\n" + child.log_tail(5)
        self.report(message)

    def stop_all(self) -> None:
        """Reverse order of start: the gateway first, the broker last."""
        for child in reversed(self.children):
            if child.running:
                self.report(f"stopping {child.name}")
                child.stop()
