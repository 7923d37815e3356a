"""The gateway: one origin for every API. The route table below is the only place that says
which service owns which resource; ``render_caddyfile`` turns it into Caddy's configuration, for
``tread up`` (upstreams on 127.0.0.1) and for docker-compose (``deploy/gateway/Caddyfile``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tread_cli.services import SERVICES

# Service → the top-level resources under /v1 it owns.
ROUTES: dict[str, tuple[str, ...]] = {
    "accounts": ("accounts", "contacts", "activities", "cases", "integrations", "portfolio"),
    "actionplans": (
        "plans",
        "indicators",
        "deviations",
        "corrective-actions",
        "resource-requests",
        "meetings",
    ),
    "contracts": (
        "programs",
        "offers",
        "contracts",
        "audits",
        "facilitations",
        "facilitation-guidelines",
    ),
    "market-intel": (
        "products",
        "competitor-products",
        "arguments",
        "observations",
        "price-positioning",
        "subscriptions",
        "digests",
    ),
    "reporting": ("reports",),
    "inbox": ("inbox",),
}
# Paths that answer with a stream of Server-Sent Events: proxied with no buffering at all
# (flush_interval -1), so that each event reaches the client as the service writes it. Caddy
# then completes the upstream request even when the client has gone; the service notices at
# its next write (a heartbeat at most later) and ends the stream.
EVENT_STREAMS: dict[str, tuple[str, ...]] = {"inbox": ("/v1/inbox/stream",)}

CORS_ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match"
CORS_EXPOSED_HEADERS = "ETag, Idempotent-Replayed, X-Request-Id"
CORS_MAX_AGE_SECONDS = 600
COMPOSE_PORT = 8080

NOT_FOUND = (
    '{"type":"urn:tread:problem:not-found","title":"Not Found","status":404,'
    '"detail":"No Tread API lives at this path."}'
)
# Larger request bodies are refused at the gateway too (the services' own cap,
# max_request_body_bytes, is the same 1 MB), before they are passed on.
MAX_REQUEST_BODY = "1MB"
# Paths that take larger bodies, with their cap: the same as the owning service's
# request_body_caps (a 50,000-row catalogue import is about 6 MB).
LARGE_BODIES: dict[str, str] = {"/v1/products/imports": "16MiB"}
TOO_LARGE = (
    '{"type":"urn:tread:problem:payload-too-large","title":"Content Too Large","status":413,'
    '"detail":"The request body is larger than this path accepts (1 MB; 16 MiB for a'
    ' catalogue import)."}'
)
# {err.status_code} is Caddy's placeholder: 502 when the service is down, 504 on a timeout.
UPSTREAM_FAILED = (
    '{"type":"urn:tread:problem:bad-gateway","title":"Bad Gateway","status":{err.status_code},'
    '"detail":"The Tread service behind this path did not answer."}'
)
# Caddy's own 503: every replica of the service is out of rotation (or none answers).
NO_REPLICA = (
    '{"type":"urn:tread:problem:service-unavailable","title":"Service Unavailable",'
    '"status":503,"detail":"No replica of the Tread service behind this path is available."}'
)
HEALTHY = '{"status":"ok","service":"gateway"}'

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def check_origin(origin: str) -> str:
    """A web origin as browsers send it (``https://app.example.com``); anything else would
    never match, or would end up as Caddyfile syntax."""
    if not _ORIGIN.match(origin):
        raise ValueError(f"not a web origin (scheme://host[:port]): {origin!r}")
    return origin


def split_origins(value: str) -> list[str]:
    """``TREAD_GATEWAY_CORS_ORIGINS``: comma-separated origins."""
    return [check_origin(o.strip()) for o in value.split(",") if o.strip()]


# Service name → its replicas: ``host:port`` each, or one ``dynamic a <name> <port>`` (every
# address DNS gives the name: compose's replicas of a service).
Upstreams = tuple[str, ...]


@dataclass(frozen=True)
class GatewayConfig:
    port: int
    upstreams: Mapping[str, Upstreams]
    bind: str | None = "127.0.0.1"
    cors_origins: tuple[str, ...] = ()


def local_config(
    port: int, service_ports: Mapping[str, int | Sequence[int]], cors_origins: Iterable[str] = ()
) -> GatewayConfig:
    """The gateway of ``tread up``: on 127.0.0.1, services on 127.0.0.1, one port per replica."""
    upstreams = {
        name: tuple(f"127.0.0.1:{p}" for p in ([ports] if isinstance(ports, int) else ports))
        for name, ports in service_ports.items()
    }
    return GatewayConfig(port, upstreams, "127.0.0.1", tuple(map(check_origin, cors_origins)))


def compose_config(cors_origins: Iterable[str] = ()) -> GatewayConfig:
    """The gateway of docker-compose: every replica of a service, found by its compose name in
    Docker's DNS (``deploy.replicas``, ``--scale``)."""
    upstreams = {s.name: (f"dynamic a {s.name} {s.default_port}",) for s in SERVICES}
    return GatewayConfig(COMPOSE_PORT, upstreams, None, tuple(map(check_origin, cors_origins)))


# Connections kept open to each service. Go's transport keeps 2 idle per host unless told:
# with more clients than that in flight, every request beyond them dialled a new connection, and
# a dial the busy service was slow to accept waited for TCP's one-second SYN retry (p99 1.4 s
# through the gateway against 36 ms direct, bench/accounts.py).
UPSTREAM_IDLE_CONNECTIONS = 256
# Shorter than the services' own keep-alive (tread_shared.service_main), so that the gateway,
# never the service, closes an idle connection: a request is never sent on one being closed.
UPSTREAM_IDLE_SECONDS = 60


# Several replicas: a dead one is out of rotation at its first refused connection, an unready
# one within two or three seconds (its /readyz checked every second), and a request it could
# not answer goes to another replica when repeating it is safe: reads, and writes with an
# Idempotency-Key (the key makes a repeat answer the first result). A refused connection is
# retried whatever the method: the request never reached the service. /readyz?broker=optional:
# a broker outage keeps replicas in rotation (their writes wait in the outbox), a database
# outage does not.
HEALTH_URI = "/readyz?broker=optional"
BALANCING = [
    "lb_policy round_robin",
    "lb_retries 2",
    "lb_try_interval 100ms",
    "lb_retry_match {",
    "\tmethod GET HEAD OPTIONS",
    "}",
    "lb_retry_match {",
    "\theader Idempotency-Key *",
    "}",
    "fail_duration 5s",
    "max_fails 1",
    # A body is sent again on a retry only if Caddy kept it (bodies are at most 1 MB).
    f"request_buffers {MAX_REQUEST_BODY}",
]
ACTIVE_HEALTH = [
    f"health_uri {HEALTH_URI}",
    "health_interval 1s",
    # Two slow or failed checks in a row: one slow answer of a busy replica is not enough to
    # take it out (with every replica busy, that would turn load into 503s).
    "health_timeout 2s",
    "health_passes 1",
    "health_fails 2",
]
# DNS asked again this often: a new or removed replica is seen within it (active health checks
# do not run for DNS-found upstreams: the first failed dial takes a dead one out).
DNS_REFRESH = "1s"


def _reverse_proxy(upstream: Upstreams, *, streaming: bool = False) -> list[str]:
    dynamic = [u for u in upstream if u.startswith("dynamic ")]
    static = [u for u in upstream if not u.startswith("dynamic ")]
    options: list[str] = []
    if dynamic:
        options += [f"{source} {{" for source in dynamic] + [f"\trefresh {DNS_REFRESH}", "}"]
    if dynamic or len(static) > 1:
        options += BALANCING + (ACTIVE_HEALTH if static else [])
    return [
        f"\t\treverse_proxy {' '.join(static)} {{".replace("reverse_proxy  {", "reverse_proxy {"),
        *(f"\t\t\t{line}" for line in options),
        *(["\t\t\tflush_interval -1"] if streaming else []),
        "\t\t\ttransport http {",
        *(["\t\t\t\tdial_timeout 1s"] if options else []),
        f"\t\t\t\tkeepalive {UPSTREAM_IDLE_SECONDS}s",
        f"\t\t\t\tkeepalive_idle_conns {UPSTREAM_IDLE_CONNECTIONS}",
        f"\t\t\t\tkeepalive_idle_conns_per_host {UPSTREAM_IDLE_CONNECTIONS}",
        "\t\t\t}",
        "\t\t}",
    ]


def _body_caps() -> list[str]:
    """One cap per request: the large ones on their paths, the default everywhere else."""
    lines: list[str] = []
    for number, (path, cap) in enumerate(LARGE_BODIES.items()):
        lines += [
            f"\t@large_body_{number} path {path}",
            f"\trequest_body @large_body_{number} {{",
            f"\t\tmax_size {cap}",
            "\t}",
        ]
    if LARGE_BODIES:
        lines.append(f"\t@default_body not path {' '.join(LARGE_BODIES)}")
    return [
        *lines,
        f"\trequest_body{' @default_body' if LARGE_BODIES else ''} {{",
        f"\t\tmax_size {MAX_REQUEST_BODY}",
        "\t}",
        "",
    ]


def render_caddyfile(config: GatewayConfig) -> str:
    lines = [
        "# Generated from the route table in cli/tread_cli/gateway.py: change it there.",
        "# docker-compose's copy: tread gateway-config --compose > deploy/gateway/Caddyfile",
        "{",
        "\tadmin off",
        "\tauto_https off",
        "\tpersist_config off",
        # Header fields up to 1 MiB reach the service, whose 431 is a problem document (its
        # cap is 32 KiB); Go's own refusal, below any handler, would be plain text.
        "\tservers {",
        "\t\tmax_header_size 1MiB",
        "\t}",
        "}",
        "",
        f":{config.port} {{",
    ]
    if config.bind:
        lines.append(f"\tbind {config.bind}")
    # No `encode gzip` here: the services compress (level 6, over 1 KB), and a second
    # compressor at the gateway turned the ETag "<id>-v1" into "<id>-v1-gzip", which If-Match
    # then refused (412). One place compresses, so the ETag a client reads is the service's.
    lines += _body_caps()
    lines += _cors(config.cors_origins)
    lines += [
        "\thandle /healthz {",
        "\t\theader Content-Type application/json",
        f"\t\trespond `{HEALTHY}` 200",
        "\t}",
        "",
    ]
    for service, resources in ROUTES.items():
        upstream = config.upstreams[service]
        matcher = "@" + service.replace("-", "_")
        if service in EVENT_STREAMS:
            # Before the service's own matcher: named matchers keep their order.
            lines += [
                f"\t{matcher}_stream {{",
                *(f"\t\tpath {path}" for path in EVENT_STREAMS[service]),
                "\t}",
                f"\thandle {matcher}_stream {{",
                *_reverse_proxy(upstream, streaming=True),
                "\t}",
            ]
        lines += [
            f"\t{matcher} {{",
            *(f"\t\tpath /v1/{r} /v1/{r}/*" for r in resources),
            "\t}",
            f"\thandle {matcher} {{",
            *_reverse_proxy(upstream),
            "\t}",
            f"\thandle /openapi/{service}.json {{",
            "\t\trewrite * /openapi.json",
            *_reverse_proxy(upstream),
            "\t}",
            "",
        ]
    lines += [
        "\thandle {",
        "\t\theader Content-Type application/problem+json",
        f"\t\trespond `{NOT_FOUND}` 404",
        "\t}",
        "",
        "\thandle_errors 413 {",
        "\t\theader Content-Type application/problem+json",
        f"\t\trespond `{TOO_LARGE}` 413",
        "\t}",
        "\thandle_errors 503 {",
        "\t\theader Content-Type application/problem+json",
        "\t\theader Retry-After 1",
        f"\t\trespond `{NO_REPLICA}` 503",
        "\t}",
        "\thandle_errors {",
        "\t\theader Content-Type application/problem+json",
        f"\t\trespond `{UPSTREAM_FAILED}` {{err.status_code}}",
        "\t}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _cors(origins: tuple[str, ...]) -> list[str]:
    if not origins:
        return []
    # Several values of one header field in a matcher are OR-ed.
    origin_lines = [f"\t\theader Origin {origin}" for origin in origins]
    return [
        "\t@cors_origin {",
        *origin_lines,
        "\t}",
        "\theader @cors_origin {",
        "\t\tAccess-Control-Allow-Origin {http.request.header.Origin}",
        f'\t\tAccess-Control-Expose-Headers "{CORS_EXPOSED_HEADERS}"',
        "\t\t+Vary Origin",
        "\t}",
        "\t@cors_preflight {",
        "\t\tmethod OPTIONS",
        *origin_lines,
        "\t\theader Access-Control-Request-Method *",
        "\t}",
        "\thandle @cors_preflight {",
        f'\t\theader Access-Control-Allow-Methods "{CORS_ALLOWED_METHODS}"',
        f'\t\theader Access-Control-Allow-Headers "{CORS_ALLOWED_HEADERS}"',
        f"\t\theader Access-Control-Max-Age {CORS_MAX_AGE_SECONDS}",
        "\t\trespond 204",
        "\t}",
        "",
    ]
