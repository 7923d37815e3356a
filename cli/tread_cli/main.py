"""``tread``: run the platform (``up``), mint development tokens (``token``), migrate and
write migrations (``migrate``, ``revision``), look at what runs (``status``), and render the
gateway configuration (``gateway-config``).

Ports, directories and servers also come from environment variables, named in each option's help.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from tread_cli.databases import (
    DEFAULT_DATABASE_PREFIX,
    MigrationFailed,
    create_postgres_databases,
    database_urls,
    migrate,
    new_revision,
)
from tread_cli.gateway import (
    check_origin,
    compose_config,
    local_config,
    render_caddyfile,
    split_origins,
)
from tread_cli.reporting_rebuild import add_reporting_command, run_reporting
from tread_cli.services import SERVICES, service_named
from tread_cli.settings_doc import DOC_PATH, settings_markdown
from tread_cli.state import read_state
from tread_cli.status import DEFAULT_STREAM, collect_status, format_status, healthy, status_as_json
from tread_cli.tokens import ROLES, dev_token, key_dir, stack_var_dir
from tread_cli.up import (
    DEFAULT_GATEWAY_PORT,
    DEFAULT_NATS_PORT,
    MAX_REPLICAS,
    UpOptions,
    run_up,
)


def port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port: {value}")
    return number


def origin(value: str) -> str:
    try:
        return check_origin(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def replicas(value: str) -> dict[str, int]:
    """``2`` (every service) or ``accounts=2,reporting=2``."""
    names = [s.name for s in SERVICES]

    def count(text: str) -> int:
        if not text.strip().isdigit() or not 1 <= int(text) <= MAX_REPLICAS:
            raise argparse.ArgumentTypeError(f"replicas: 1 to {MAX_REPLICAS}, not {text!r}")
        return int(text)

    if "=" not in value:
        return dict.fromkeys(names, count(value))
    wanted: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, number = part.partition("=")
        if name.strip() not in names:
            raise argparse.ArgumentTypeError(f"no service {name!r} (one of {', '.join(names)})")
        wanted[name.strip()] = count(number)
    return wanted


def nats_cluster_size(value: str) -> int:
    if value not in ("1", "3", "5"):
        raise argparse.ArgumentTypeError("a NATS cluster has 1, 3 or 5 nodes")
    return int(value)


def _env(name: str, default: object) -> str:
    return os.environ.get(name) or str(default)


def _add_var_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--var-dir",
        type=Path,
        metavar="DIR",
        default=Path(_env("TREAD_VAR_DIR", "var")),
        help="where databases, keys, logs and the broker's data live (TREAD_VAR_DIR; ./var)",
    )


def _add_postgres(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("TREAD_POSTGRES_URL"),
        help="a PostgreSQL server, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432: one "
        "database per service, created when missing (TREAD_POSTGRES_URL; default: SQLite "
        "files in the var dir)",
    )
    parser.add_argument(
        "--database-prefix",
        metavar="PREFIX",
        default=_env("TREAD_DATABASE_PREFIX", DEFAULT_DATABASE_PREFIX),
        help="PostgreSQL database names: <prefix><service> (TREAD_DATABASE_PREFIX; tread_)",
    )


def _add_ports(parser: argparse.ArgumentParser, gateway_default: int) -> None:
    parser.add_argument(
        "--gateway-port",
        type=port,
        metavar="PORT",
        default=_env("TREAD_GATEWAY_PORT", gateway_default),
        help=f"(TREAD_GATEWAY_PORT; {gateway_default})",
    )
    for service in SERVICES:
        variable = f"{service.env_prefix}HTTP_PORT"
        parser.add_argument(
            f"--{service.name}-port",
            dest=f"port_{service.database_name}",
            type=port,
            metavar="PORT",
            default=_env(variable, service.default_port),
            help=f"({variable}; {service.default_port})",
        )


def _add_cors(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cors-origin",
        type=origin,
        metavar="ORIGIN",
        action="append",
        default=None,
        help="a web origin allowed to call the APIs from a browser; repeat for several "
        "(TREAD_GATEWAY_CORS_ORIGINS, comma-separated)",
    )


def _service_ports(args: argparse.Namespace) -> dict[str, int]:
    return {s.name: getattr(args, f"port_{s.database_name}") for s in SERVICES}


def _cors_origins(args: argparse.Namespace) -> list[str]:
    if args.cors_origin is not None:
        origins: list[str] = args.cors_origin
        return origins
    try:
        return split_origins(os.environ.get("TREAD_GATEWAY_CORS_ORIGINS", ""))
    except ValueError as exc:
        raise SystemExit(f"tread: TREAD_GATEWAY_CORS_ORIGINS: {exc}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tread",
        description="Tread on one machine: run it, get development tokens, migrate, look at it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="run everything: broker, the six services, the gateway",
        description="Migrate, start nats-server, the six services and the Caddy gateway, wait "
        "until all are ready, print URLs and development tokens, then keep them running until "
        "Ctrl-C.",
    )
    _add_var_dir(up)
    _add_ports(up, DEFAULT_GATEWAY_PORT)
    up.add_argument(
        "--nats-port",
        type=port,
        metavar="PORT",
        default=_env("TREAD_NATS_PORT", DEFAULT_NATS_PORT),
        help=f"port of the nats-server tread starts (TREAD_NATS_PORT; {DEFAULT_NATS_PORT}, "
        "beside a system NATS on 4222)",
    )
    up.add_argument(
        "--nats",
        metavar="URL",
        default=os.environ.get("TREAD_NATS_URL"),
        help="use this NATS server (JetStream on) instead of starting one; a cluster's URLs "
        "separated by commas (TREAD_NATS_URL)",
    )
    up.add_argument(
        "--nats-cluster",
        type=nats_cluster_size,
        metavar="NODES",
        default=_env("TREAD_NATS_CLUSTER", 1),
        help="start this many NATS nodes from deploy/nats/nats.conf, clients on --nats-port and "
        "the ports after it, streams replicated on all of them (TREAD_NATS_CLUSTER; 1)",
    )
    up.add_argument(
        "--stream-replicas",
        type=int,
        choices=(1, 3, 5),
        default=os.environ.get("TREAD_NATS_STREAM_REPLICAS"),
        help="replicas of the event streams (TREAD_NATS_STREAM_REPLICAS; the cluster's size, "
        "1 with --nats)",
    )
    up.add_argument(
        "--replicas",
        type=replicas,
        metavar="N|SERVICE=N,...",
        default=replicas(_env("TREAD_REPLICAS", 1)),
        help="processes per service, all behind the gateway, replica n on the service's port "
        f"+ 10 x (n - 1); needs --postgres for more than one (TREAD_REPLICAS; 1, at most "
        f"{MAX_REPLICAS})",
    )
    _add_postgres(up)
    _add_cors(up)
    up.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    up.add_argument(
        "--ready-timeout",
        type=float,
        metavar="SECONDS",
        default=float(_env("TREAD_READY_TIMEOUT", 60)),
        help="seconds to wait for every part to be ready (TREAD_READY_TIMEOUT; 60)",
    )

    token = commands.add_parser(
        "token",
        help="print a development JWT, valid for the services tread up runs",
        description="Print a development JWT (RS256, signed with the key in <var dir>/keys) "
        "alone on stdout.",
    )
    token.add_argument("--sub", required=True, help="the caller's id (claim sub)")
    token.add_argument("--role", action="append", required=True, choices=ROLES)
    token.add_argument("--territory", action="append", default=[], help="repeatable")
    token.add_argument("--name", default="", help="display name (claim name; default: sub)")
    token.add_argument("--ttl-hours", type=float, default=12.0)
    _add_var_dir(token)

    migrate_cmd = commands.add_parser(
        "migrate", help="bring every service's database to the latest migration"
    )
    migrate_cmd.add_argument(
        "--service",
        action="append",
        choices=[s.name for s in SERVICES],
        help="only this service (repeatable; default: all)",
    )
    _add_var_dir(migrate_cmd)
    _add_postgres(migrate_cmd)

    revision = commands.add_parser(
        "revision",
        help="autogenerate a service's next migration from its models",
        description="Bring the service's database to head, then write the migration that takes "
        "it to what the models say, into the service's migrations/versions/. Read it before "
        "committing.",
    )
    revision.add_argument("--service", required=True, choices=[s.name for s in SERVICES])
    revision.add_argument("-m", "--message", required=True, help="a slug: what changes")
    _add_var_dir(revision)
    _add_postgres(revision)

    status = commands.add_parser(
        "status", help="what tread up runs, readiness, stream and consumer lag"
    )
    _add_var_dir(status)
    status.add_argument(
        "--nats", metavar="URL", help="look at this NATS server (default: the one tread up uses)"
    )
    status.add_argument(
        "--stream",
        default=_env("TREAD_NATS_STREAM", DEFAULT_STREAM),
        help=f"(TREAD_NATS_STREAM; {DEFAULT_STREAM})",
    )
    status.add_argument("--json", action="store_true", help="machine-readable")

    gateway = commands.add_parser(
        "gateway-config", help="print the gateway's Caddyfile (tread up's, or --compose)"
    )
    gateway.add_argument(
        "--compose",
        action="store_true",
        help="for docker-compose: listen on :8080, services by their compose names",
    )
    _add_ports(gateway, DEFAULT_GATEWAY_PORT)
    _add_cors(gateway)
    _add_var_dir(gateway)  # a stack running from there: its ports, unless others are given
    settings_doc = commands.add_parser(
        "settings-doc",
        help=f"write {DOC_PATH}: every service's environment variables, defaults, meanings",
    )
    settings_doc.add_argument(
        "--output", type=Path, default=DOC_PATH, metavar="FILE", help=f"({DOC_PATH}; - for stdout)"
    )
    add_reporting_command(commands)
    return parser


def _token(args: argparse.Namespace) -> int:
    var_dir, looked = stack_var_dir(args.var_dir)
    if var_dir is None:
        places = ", ".join(str(key_dir(place)) for place in looked)
        print(
            f"tread: no development keys in {places}: start the stack (tread up, make up) or"
            " pass the --var-dir it runs with",
            file=sys.stderr,
        )
        return 2
    print(
        dev_token(
            var_dir,
            sub=args.sub,
            roles=args.role,
            territories=args.territory,
            name=args.name,
            ttl=timedelta(hours=args.ttl_hours),
        )
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    services = [service_named(n) for n in args.service] if args.service else list(SERVICES)
    urls = database_urls(services, args.var_dir, args.postgres, args.database_prefix)
    try:
        if args.postgres:
            create_postgres_databases(args.postgres, urls.values())
        migrate(services, urls, args.var_dir.resolve() / "logs")
    except MigrationFailed as exc:
        print(f"tread: {exc}", file=sys.stderr)
        return 1
    print(f"tread: migrated {', '.join(s.name for s in services)}")
    return 0


def _revision(args: argparse.Namespace) -> int:
    service = service_named(args.service)
    url = database_urls([service], args.var_dir, args.postgres, args.database_prefix)[service.name]
    try:
        if args.postgres:
            create_postgres_databases(args.postgres, [url])
        path = new_revision(service, url, args.message, args.var_dir.resolve() / "logs")
    except MigrationFailed as exc:
        print(f"tread: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _status(args: argparse.Namespace) -> int:
    report = collect_status(args.var_dir, args.stream, args.nats)
    print(status_as_json(report) if args.json else format_status(report))
    return 0 if healthy(report) else 1


def _running_ports(args: argparse.Namespace) -> tuple[int, dict[str, int]]:
    """The ports asked for; where none was (all defaults), those of the stack running from
    ``--var-dir``, so that the configuration printed is the one the gateway runs with."""
    asked = (args.gateway_port, _service_ports(args))
    defaults = _ports_by_default()
    state = read_state(args.var_dir)
    if asked != defaults or state is None or not state.alive:
        return asked
    running = {p.name: urlsplit(p.url).port for p in state.processes if p.url}
    gateway_port = urlsplit(state.gateway_url).port or asked[0]
    return gateway_port, {name: running.get(name) or default for name, default in asked[1].items()}


def _ports_by_default() -> tuple[int, dict[str, int]]:
    defaults = build_parser().parse_args(["gateway-config"])
    return defaults.gateway_port, _service_ports(defaults)


def _gateway_config(args: argparse.Namespace) -> int:
    origins = _cors_origins(args)
    if args.compose:
        config = compose_config(origins)
    else:
        gateway_port, service_ports = _running_ports(args)
        config = local_config(gateway_port, service_ports, origins)
    sys.stdout.write(render_caddyfile(config))
    return 0


def _settings_doc(args: argparse.Namespace) -> int:
    text = settings_markdown()
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"tread: wrote {args.output}")
    return 0


def _up(args: argparse.Namespace) -> int:
    return run_up(
        UpOptions(
            var_dir=args.var_dir,
            gateway_port=args.gateway_port,
            nats_port=args.nats_port,
            service_ports=_service_ports(args),
            postgres=args.postgres,
            nats_url=args.nats,
            database_prefix=args.database_prefix,
            cors_origins=_cors_origins(args),
            load_demo=not args.no_demo,
            ready_timeout=args.ready_timeout,
            replicas=args.replicas,
            nats_cluster=args.nats_cluster,
            stream_replicas=args.stream_replicas,
        )
    )


COMMANDS = {
    "up": _up,
    "token": _token,
    "migrate": _migrate,
    "revision": _revision,
    "status": _status,
    "gateway-config": _gateway_config,
    "settings-doc": _settings_doc,
    "reporting": run_reporting,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(COMMANDS[args.command](args))
