"""``python -m tread_<service> serve``: uvicorn workers as a setting, metrics summed over them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tread_shared import service_main
from tread_shared.observability.metrics import MULTIPROCESS_METRICS
from tread_shared.settings import ServiceSettings


def serve(monkeypatch: pytest.MonkeyPatch, **settings: Any) -> dict[str, Any]:
    """What ``serve`` hands uvicorn (uvicorn itself not started)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(service_main.uvicorn, "run", lambda app, **kw: calls.append(kw))
    service_main.run_service_command(
        settings_factory=lambda: ServiceSettings(service_name="probe", **settings),
        app_factory="probe.app:create_app",
        migrations_dir=Path("."),
        argv=["serve"],
    )
    [call] = calls
    return call


def no_metrics_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    # setenv, not delenv: monkeypatch then restores the variable as it was (absent) even once
    # ``serve`` has set it, and the other tests' metrics stay in memory.
    monkeypatch.setenv(MULTIPROCESS_METRICS, "")


def test_one_worker_by_default_with_metrics_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    no_metrics_directory(monkeypatch)
    assert serve(monkeypatch)["workers"] == 1
    assert not os.environ[MULTIPROCESS_METRICS]


def test_several_workers_share_a_metrics_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    no_metrics_directory(monkeypatch)
    assert serve(monkeypatch, http_workers=3)["workers"] == 3
    assert Path(os.environ[MULTIPROCESS_METRICS]).is_dir()


COUNT_ONE_REQUEST = """
from tread_shared.observability.metrics import HTTP_REQUESTS
HTTP_REQUESTS.labels("probe", "GET", "/v1/things", "200").inc()
"""

SCRAPE = """
import asyncio
from tread_shared.observability.metrics import metrics
print(asyncio.run(metrics()).body.decode())
"""


def test_metrics_add_up_the_workers(tmp_path: Path) -> None:
    assert not os.environ.get(MULTIPROCESS_METRICS), "a test left the metrics directory set"
    env = {**os.environ, MULTIPROCESS_METRICS: str(tmp_path)}

    def python(code: str) -> str:
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return run.stdout

    python(COUNT_ONE_REQUEST)  # one worker
    python(COUNT_ONE_REQUEST)  # another
    scraped = python(SCRAPE)  # whichever answers /metrics
    assert (
        'tread_http_requests_total{method="GET",route="/v1/things",service="probe",status="200"}'
        " 2.0" in scraped
    )
