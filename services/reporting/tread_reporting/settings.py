"""Reporting settings: environment variables prefixed ``REPORTING_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8105
