"""Accounts settings: environment variables prefixed ``ACCOUNTS_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore")

    service_name: str = "accounts"
    http_port: int = 8101
