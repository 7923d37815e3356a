"""Settings of the sample service: environment variables prefixed ``NOTES_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTES_", extra="ignore")

    service_name: str = "notes"
    http_port: int = 8199
