"""Contracts settings: environment variables prefixed ``CONTRACTS_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTRACTS_", extra="ignore")

    service_name: str = "contracts"
    http_port: int = 8103
