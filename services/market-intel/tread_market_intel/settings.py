"""Market intelligence settings: environment variables prefixed ``MARKET_INTEL_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MARKET_INTEL_", extra="ignore")

    service_name: str = "market-intel"
    http_port: int = 8104
