"""Action plans settings: environment variables prefixed ``ACTIONPLANS_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACTIONPLANS_", extra="ignore")

    service_name: str = "actionplans"
    http_port: int = 8102
