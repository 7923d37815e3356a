"""Inbox settings: environment variables prefixed ``INBOX_``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INBOX_", extra="ignore")

    service_name: str = "inbox"
    http_port: int = 8106

    # Push (GET /v1/inbox/stream): each process looks for new changes this often (one query for
    # all its open streams), and sends a comment line when a stream has been quiet this long so
    # that proxies and phones keep the connection.
    stream_poll_seconds: float = Field(default=0.2, gt=0, le=10)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0, le=300)

    # E-mail. No host: the mails are written to the log instead of being sent (``tread up``).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_ca_file: Path | None = Field(
        default=None,
        description="The certificate authorities (a PEM file) the SMTP server's certificate is"
        " checked against after STARTTLS, for a relay whose certificate an internal CA signed;"
        " unset: the system's trusted ones.",
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    mail_from: str = "Tread <inbox@tread.invalid>"
    # Links in mails: the web origin the resource paths (/v1/offers/…) are appended to.
    public_url: str = "http://127.0.0.1:8080"
    # A mail whose send failed is tried again after this long, at most this many times.
    mail_retry_seconds: float = Field(default=60.0, gt=0)
    mail_max_attempts: int = Field(default=10, ge=1, le=100)
    # The daily digest collects the items of the previous day, sent after this hour (UTC).
    digest_hour_utc: int = Field(default=6, ge=0, le=23)
    # The mail sender and the digest run on this period in every replica (rows are claimed).
    schedule_enabled: bool = True
    schedule_interval_seconds: float = Field(default=5.0, gt=0)
    schedule_first_delay_seconds: float = 5.0
    # Offline sync: an item that left a user with its account is a departure, that user's
    # tombstone; departures are kept this long, and an ``updated_since`` earlier than that is
    # answered 410 (the client lists its inbox again without it). Forgotten every
    # ``retention_interval_seconds``.
    sync_horizon_days: float = Field(default=30.0, gt=0, le=3650)


async def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


InboxSettings = Annotated[Settings, Depends(current_settings)]
