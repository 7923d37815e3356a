"""Reporting settings: environment variables prefixed ``REPORTING_``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8105

    # The central-office report of each closed month and quarter is produced by a job that runs
    # in every replica (the stored report's unique period makes it happen once).
    central_reports_enabled: bool = True
    central_reports_interval_seconds: float = 900.0
    # Events of a period's last hours may still be on their way when it closes: wait this long.
    central_report_grace_minutes: int = 60
    # How many closed months back the job looks for a report not produced yet.
    central_report_backfill_months: int = 3

    # Rebuild: events applied per transaction, how long a rebuild holds its claim without
    # renewing it, and how long the replaced tables stay readable for requests still using them.
    rebuild_batch_size: int = 3000
    rebuild_lease_seconds: float = 60.0
    rebuild_cleanup_delay_seconds: float = 10.0


async def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ReportingSettings = Annotated[Settings, Depends(current_settings)]
