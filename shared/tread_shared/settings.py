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

    service_name: str = "tread"
    version: str = "0.1.0"
    instance_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])

    http_host: str = "127.0.0.1"
    http_port: int = 8000

    # Python's collector runs every this many allocations once the service has started (see
    # tread_shared.garbage_collection); 0 leaves Python's default (700).
    gc_gen0_threshold: int = 50_000

    database_url: str = ""
    database_pool_size: int = 10
    # How long a request waits its turn for a database connection before a 503.
    database_connection_wait_seconds: float = 30.0
    database_echo: bool = False

    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "TREAD"
    nats_stream_replicas: int = 1
    nats_subject_root: str = "tread"
    nats_dead_letter_root: str = "deadletter"
    nats_connect_timeout_seconds: float = 2.0
    events_enabled: bool = True

    relay_poll_seconds: float = 0.2
    relay_batch_size: int = 200
    consumer_batch_size: int = 500
    consumer_max_deliver: int = 5
    consumer_ack_wait_seconds: float = 30.0
    consumer_backoff_seconds: list[float] = Field(default_factory=lambda: [0.2, 1.0, 5.0, 15.0])
    consumer_heartbeat_seconds: float = 2.0

    jwt_public_key: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_jwks_timeout_seconds: float = 2.0
    jwt_jwks_cache_seconds: float = 300.0
    jwt_jwks_refetch_seconds: float = 10.0
    jwt_issuer: str = "tread-dev"
    jwt_audience: str = "tread"
    jwt_leeway_seconds: int = 30

    idempotency_ttl_hours: int = 24
    # Larger request bodies are refused (413) before being read; the gateway has the same cap.
    max_request_body_bytes: int = 1_048_576

    # Platform rows forgotten once no longer needed (tread_shared.events.retention).
    outbox_retention_hours: float = 72.0
    inbox_retention_hours: float = 168.0
    retention_interval_seconds: float = 3600.0
    idempotency_lock_seconds: int = 60

    log_level: str = "INFO"
    log_json: bool = True

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
