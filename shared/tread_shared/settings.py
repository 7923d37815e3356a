"""Service settings read from the environment, one prefix per service (e.g. ``ACCOUNTS_``)."""

from __future__ import annotations

import uuid
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set ``model_config`` with their env prefix.

    ``ACCOUNTS_DATABASE_URL`` sets ``database_url`` of the accounts service, and so on.
    """

    model_config = SettingsConfigDict(env_prefix="TREAD_", extra="ignore")

    # The service's name in logs, metrics and events; set by each service, not by operators.
    service_name: str = "tread"
    # The version announced by the instance.started event.
    version: str = "0.1.0"
    # This process among the replicas (logs, metrics, relay lease holder, instance.started).
    instance_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])

    # Address and port uvicorn listens on (0.0.0.0 in a container); several replicas on one
    # host each need a port of their own.
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # uvicorn worker processes, each with its own connection pool, relay and consumers; the
    # metrics are summed over them. One by default: on 2 CPUs shared with the gateway, the
    # database and the other services, a second worker has no core of its own to use
    # (bench/RESULTS.md). More where a service has cores to itself.
    http_workers: int = Field(default=1, ge=1)

    # Python's collector runs every this many allocations once the service has started (see
    # tread_shared.garbage_collection); 0 leaves Python's default (700).
    gc_gen0_threshold: int = 50_000

    # SQLAlchemy URL: postgresql+asyncpg://user:password@host:5432/tread_<service>, or
    # sqlite+aiosqlite:///path.db (one process only: replicas need PostgreSQL); empty: a SQLite
    # file under ./var.
    database_url: str = ""
    # Connections per process; also how many requests use the database at once (the others
    # wait their turn, in order).
    database_pool_size: int = 10
    # How long a request waits its turn for a database connection before a 503.
    database_connection_wait_seconds: float = 30.0
    # Log every SQL statement (debugging only).
    database_echo: bool = False

    # One NATS URL, or a cluster's URLs separated by commas (the client fails over among them).
    nats_url: str = "nats://127.0.0.1:4222"
    # The stream over ``<subject root>.>`` the service creates or updates at start; dead letters
    # go to ``<stream>_DEADLETTER``.
    nats_stream: str = "TREAD"
    # Replicas of both streams: 1 on one node, 3 on a three-node cluster (at most the nodes).
    # Every service sets the streams it creates to this, so give them all the same value.
    nats_stream_replicas: int = 1
    # Subjects are ``<root>.<service>.<entity>.<event>.v<N>``.
    nats_subject_root: str = "tread"
    # Dead letters are published to ``<root>.<subject root>.<consumer>``.
    nats_dead_letter_root: str = "deadletter"
    # How long one connection attempt to a NATS server may take.
    nats_connect_timeout_seconds: float = 2.0
    # Off: no relay, no consumers, no broker in /readyz (a service alone, e.g. in tests).
    events_enabled: bool = True

    # The outbox relay looks for unpublished rows this often when idle (a commit wakes it at
    # once in the same process), and publishes at most this many per round.
    relay_poll_seconds: float = 0.2
    relay_batch_size: int = 200
    # Events a consumer pulls and applies in one transaction when a backlog is waiting.
    consumer_batch_size: int = 500
    # Deliveries of a failing event before it is dead-lettered.
    consumer_max_deliver: int = 5
    # How long NATS waits for a consumer's acknowledgement before delivering the event to
    # another replica: what a consumer that dies costs in delay. Kept short, since a batch still
    # being applied is kept alive by progress acknowledgements (docs/runbook.md).
    consumer_ack_wait_seconds: float = 1.0
    # Wait before each retry of a failing event (the last one repeats).
    consumer_backoff_seconds: list[float] = Field(default_factory=lambda: [0.2, 1.0, 5.0, 15.0])
    # The broker's idle heartbeat on a pull; two missed ones and the pull is set up again.
    consumer_heartbeat_seconds: float = 2.0

    # How tokens (RS256) are verified, one of three: the public key in PEM, a file holding it
    # (``tread up`` writes ``<var dir>/keys/dev-jwt-public.pem``), or the identity provider's JWKS.
    jwt_public_key: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_url: str | None = None
    # The JWKS is fetched within this time, kept this long, and fetched again at most this
    # often when a token names a key it does not hold.
    jwt_jwks_timeout_seconds: float = 2.0
    jwt_jwks_cache_seconds: float = 300.0
    jwt_jwks_refetch_seconds: float = 10.0
    # Claims ``iss`` and ``aud`` required of every token, and the clock skew allowed on ``exp``.
    jwt_issuer: str = "tread-dev"
    jwt_audience: str = "tread"
    jwt_leeway_seconds: int = 30

    # An Idempotency-Key is remembered (and its response replayed) this long.
    idempotency_ttl_hours: int = 24
    # Larger request bodies are refused (413) before being read; the gateway has the same cap.
    max_request_body_bytes: int = 1_048_576
    # Header fields larger than this together are refused (431); the gateway lets up to 1 MiB
    # through, so that this problem, not its HTTP server's plain text, answers.
    max_request_header_bytes: int = Field(default=32_768, ge=1_024, le=1_048_576)
    # Larger caps for some paths, by exact path (a catalogue import: a 50,000-row file is 6 MB);
    # the gateway has the same (cli/tread_cli/gateway.py, LARGE_BODIES).
    request_body_caps: dict[str, int] = Field(default_factory=dict)

    # Platform rows forgotten once no longer needed (tread_shared.events.retention).
    outbox_retention_hours: float = 72.0
    inbox_retention_hours: float = 168.0
    retention_interval_seconds: float = 3600.0

    # Python logging level, and one JSON object per line (off: plain text for a terminal).
    log_level: str = "INFO"
    log_json: bool = True

    # /readyz gives the database and the broker this long to answer before a 503.
    readiness_timeout_seconds: float = 2.0

    @field_validator("jwt_public_key", "jwt_public_key_file", "jwt_jwks_url", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        # Compose passes `${VAR:-}` through as an empty string: that means "not configured".
        return None if value == "" else value

    @property
    def nats_servers(self) -> list[str]:
        """The servers of ``nats_url``: one URL, or a cluster's URLs separated by commas."""
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    def default_database_url(self, var_dir: Path | None = None) -> str:
        base = var_dir or Path.cwd() / "var"
        return f"sqlite+aiosqlite:///{base / (self.service_name.replace('-', '_') + '.db')}"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or self.default_database_url()
