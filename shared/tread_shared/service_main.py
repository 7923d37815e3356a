"""The command line of every service: ``python -m tread_<service> serve|migrate``."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn

from tread_shared.db.migrations import upgrade
from tread_shared.observability.metrics import MULTIPROCESS_METRICS
from tread_shared.settings import ServiceSettings

# Idle keep-alive connections stay open this long (uvicorn's default: 5 s). Longer than the
# gateway's idle timeout, so the gateway closes first and never sends on a closing connection.
KEEP_ALIVE_SECONDS = 75


def run_service_command(
    *,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: str,
    migrations_dir: Path,
    argv: Sequence[str] | None = None,
) -> None:
    """``serve`` runs the service with uvicorn; ``migrate`` brings its database to head."""
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=f"python -m tread_{settings.service_name}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default=settings.http_host)
    serve.add_argument("--port", type=int, default=settings.http_port)
    migrate = commands.add_parser("migrate", help="bring the database to the latest migration")
    migrate.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        upgrade(
            migrations_dir, settings.resolved_database_url, settings.service_name, args.revision
        )
        return
    if settings.http_workers > 1 and not os.environ.get(MULTIPROCESS_METRICS):
        # Each worker counts in files there and /metrics adds them up, whichever answers.
        os.environ[MULTIPROCESS_METRICS] = tempfile.mkdtemp(
            prefix=f"tread-{settings.service_name}-metrics-"
        )
    uvicorn.run(
        app_factory,
        factory=True,
        workers=settings.http_workers,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
