"""Action plans settings: environment variables prefixed ``ACTIONPLANS_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACTIONPLANS_", extra="ignore")

    service_name: str = "actionplans"
    http_port: int = 8102

    # Overdue corrective actions are announced on this period in every replica (each is safe to
    # run concurrently).
    schedule_enabled: bool = True
    schedule_interval_seconds: float = 3600.0
    schedule_first_delay_seconds: float = 30.0
    # A professionalism plan drafted from an audit with gaps runs this long from the audit, and
    # plans the re-audit this many days after it.
    audit_plan_days: int = 365
    reaudit_after_days: int = 180
