"""``tread reporting rebuild``: replay the event stream into fresh read models of the reporting
service and switch reads to them, from this process. The reporting service may be running (it
keeps answering from the current read models meanwhile) or not.

Database and broker are tread up's by default (``--var-dir``), else what ``--database-url`` /
``--postgres`` and ``--nats`` say; ``REPORTING_*`` variables work as for the service."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import time
from pathlib import Path
from typing import Any

import nats
from nats.js.errors import NotFoundError

from tread_cli.databases import DEFAULT_DATABASE_PREFIX, database_urls
from tread_cli.services import service_named
from tread_cli.state import read_state
from tread_reporting.rebuild.service import Progress, Replay, claim, cleanup
from tread_reporting.settings import Settings
from tread_shared.db.engine import Database
from tread_shared.errors import Conflict

PROGRESS_EVERY_SECONDS = 2.0


def add_reporting_command(commands: Any) -> None:
    """``tread reporting rebuild`` in the ``tread`` parser's sub-commands."""
    reporting = commands.add_parser("reporting", help="the reporting service's read models")
    actions = reporting.add_subparsers(dest="reporting_command", required=True, metavar="ACTION")
    rebuild = actions.add_parser(
        "rebuild",
        help="replay the event stream into fresh read models and switch to them",
        description="Replay every event of the stream into a new generation of reporting's "
        "read models, then make it the one reads use, in one transaction. Reads keep working "
        "meanwhile; events arriving meanwhile are in it too.",
    )
    rebuild.add_argument(
        "--var-dir",
        type=Path,
        default=Path(os.environ.get("TREAD_VAR_DIR") or "var"),
        help="tread up's var dir: its SQLite database and broker (TREAD_VAR_DIR; ./var)",
    )
    rebuild.add_argument(
        "--database-url", metavar="URL", help="reporting's database (REPORTING_DATABASE_URL)"
    )
    rebuild.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("TREAD_POSTGRES_URL"),
        help="the PostgreSQL server tread up was given (TREAD_POSTGRES_URL)",
    )
    rebuild.add_argument(
        "--database-prefix",
        default=os.environ.get("TREAD_DATABASE_PREFIX") or DEFAULT_DATABASE_PREFIX,
    )
    rebuild.add_argument("--nats", metavar="URL", help="the broker (REPORTING_NATS_URL)")
    rebuild.add_argument("--stream", help="the stream (REPORTING_NATS_STREAM; TREAD)")
    rebuild.add_argument("--subject-root", help="(REPORTING_NATS_SUBJECT_ROOT; tread)")
    rebuild.add_argument("--batch-size", type=int, help="events per transaction (1000)")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    state = read_state(args.var_dir)
    if args.database_url:
        overrides["database_url"] = args.database_url
    elif not os.environ.get("REPORTING_DATABASE_URL"):
        service = service_named("reporting")
        urls = database_urls([service], args.var_dir, args.postgres, args.database_prefix)
        overrides["database_url"] = urls[service.name]
    if args.nats:
        overrides["nats_url"] = args.nats
    elif state is not None and not os.environ.get("REPORTING_NATS_URL"):
        overrides["nats_url"] = state.nats_url
    for option, name in (
        ("stream", "nats_stream"),
        ("subject_root", "nats_subject_root"),
        ("batch_size", "rebuild_batch_size"),
    ):
        if getattr(args, option) is not None:
            overrides[name] = getattr(args, option)
    return Settings(**overrides)


class _Reporter:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            rate = progress.applied / max(now - self.started, 1e-6)
            print(
                f"tread: replayed sequence {progress.replayed_seq:,} of {progress.target:,} "
                f"({progress.applied:,} events applied, {rate:,.0f}/s)",
                flush=True,
            )


async def rebuild(settings: Settings) -> int:
    db = Database(settings.resolved_database_url)
    try:
        nc = await nats.connect(
            settings.nats_servers,
            connect_timeout=settings.nats_connect_timeout_seconds,
            allow_reconnect=False,
            max_reconnect_attempts=0,
        )
    except Exception as exc:  # noqa: BLE001 - reported to the operator
        print(f"tread: NATS at {settings.nats_url} not reachable: {exc}", file=sys.stderr)
        await db.dispose()
        return 1
    try:
        js = nc.jetstream()
        generation = await claim(db, js, settings, requested_by=f"tread cli ({getpass.getuser()})")
        print(
            f"tread: rebuilding reporting into generation {generation.generation}: "
            f"{generation.replay_target_seq or 0:,} events in stream {settings.nats_stream}",
            flush=True,
        )
        reporter = _Reporter()
        progress = await Replay(db, js, settings, generation, on_progress=reporter).run()
        seconds = time.monotonic() - reporter.started
        print(
            f"tread: generation {progress.generation} is active: {progress.applied:,} events "
            f"applied, {progress.skipped:,} skipped, in {seconds:.1f}s",
            flush=True,
        )
        await asyncio.sleep(settings.rebuild_cleanup_delay_seconds)
        await cleanup(db)
        return 0
    except Conflict as exc:
        print(f"tread: {exc.detail}", file=sys.stderr)
        return 1
    except NotFoundError:
        print(f"tread: stream {settings.nats_stream} does not exist: no event yet", file=sys.stderr)
        return 1
    finally:
        await nc.close()
        await db.dispose()


def run_reporting(args: argparse.Namespace) -> int:
    return asyncio.run(rebuild(_settings(args)))
