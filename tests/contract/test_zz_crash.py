"""``kill -9`` of a service under a write load whose clients retry with their Idempotency-Key:
nothing is lost, nothing is doubled, and no retry waits more than a few seconds once the
service is back (a key held by the dead process is free at once, and a key whose effect
committed answers the original response).

Runs last among the contract tests (its file name): it kills accounts, and the supervisor of
``tread up`` starts it again."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from tread_cli.testing import Platform, eventually

pytestmark = pytest.mark.slow

WRITERS = 4
WRITES_EACH = 12
KILL_AFTER = 10  # successful writes before the kill
LONGEST_WAIT_SECONDS = 5.0  # from the first 409 answer of a retried key to its success
GIVE_UP_SECONDS = 120.0


@dataclass
class Write:
    key: str
    name: str
    account_id: str | None = None
    statuses: list[int] = field(default_factory=list)
    waited_after_conflict: float = 0.0


def test_a_killed_service_loses_and_doubles_nothing_and_retries_do_not_wait(
    stack: Platform,
) -> None:
    token = stack.dev_tokens()["admin"]
    run = uuid.uuid4().hex[:8]
    writes = [
        [Write(key=f"crash-{run}-{w}-{i}", name=f"Crash {run} {w}-{i}") for i in range(WRITES_EACH)]
        for w in range(WRITERS)
    ]
    done = threading.Semaphore(0)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_writer, args=(stack.gateway, token, mine, done, stop))
        for mine in writes
    ]
    before = stack.pids()["accounts"]
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILL_AFTER):
            assert done.acquire(timeout=60), "writes before the kill did not complete"
        os.kill(before, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=GIVE_UP_SECONDS)
    finally:
        stop.set()
    eventually(lambda: stack.pids()["accounts"] != before, 30, "accounts started again")
    stack.wait_ready("accounts", 60)

    every = [write for mine in writes for write in mine]
    lost = [w.key for w in every if w.account_id is None]
    assert lost == [], f"no answer for {len(lost)} keys: {[w.statuses for w in every][:5]}"
    stored = _accounts_named(stack.gateway, token, f"Crash {run}")
    assert sorted(stored) == sorted(w.name for w in every), "an account lost or doubled"
    assert len({w.account_id for w in every}) == len(every)
    longest = max(w.waited_after_conflict for w in every)
    assert longest <= LONGEST_WAIT_SECONDS, [
        (w.key, w.statuses) for w in every if w.waited_after_conflict > LONGEST_WAIT_SECONDS
    ]


def _writer(
    gateway: str,
    token: str,
    writes: list[Write],
    done: threading.Semaphore,
    stop: threading.Event,
) -> None:
    with httpx.Client(base_url=gateway, timeout=10) as client:
        for write in writes:
            _write_until_answered(client, token, write, stop.is_set)
            done.release()


def _write_until_answered(
    client: httpx.Client, token: str, write: Write, stopped: Callable[[], bool]
) -> None:
    first_conflict: float | None = None
    deadline = time.monotonic() + GIVE_UP_SECONDS
    body = {"kind": "dealer", "name": write.name, "territory": "north", "owner_id": "am-lucas"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": write.key}
    while time.monotonic() < deadline and not stopped():
        try:
            answer = client.post("/v1/accounts", json=body, headers=headers)
        except httpx.TransportError:
            write.statuses.append(0)
            time.sleep(0.1)
            continue
        write.statuses.append(answer.status_code)
        if answer.status_code == 201:
            write.account_id = answer.json()["id"]
            if first_conflict is not None:
                write.waited_after_conflict = time.monotonic() - first_conflict
            return
        if answer.status_code == 409 and first_conflict is None:
            first_conflict = time.monotonic()
        # 502/503 while the service is away, 409 while the key is held: retry, as a client would.
        time.sleep(0.1)


def _accounts_named(gateway: str, token: str, prefix: str) -> list[str]:
    names: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"q": prefix, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        answer = httpx.get(
            f"{gateway}/v1/accounts",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        names += [item["name"] for item in page["items"] if "name" in item]
        cursor = page.get("next_cursor")
        if not cursor:
            return names
