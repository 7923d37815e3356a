"""Market intelligence settings: environment variables prefixed ``MARKET_INTEL_``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MARKET_INTEL_", extra="ignore")

    service_name: str = "market-intel"
    http_port: int = 8104

    # A competitor price more than this percentage away from the median of the same product's
    # prices in the same territory over the window is flagged as an outlier (kept, but left
    # out of price positioning); with fewer prices than the minimum nothing is an outlier yet.
    outlier_window_days: int = 90
    outlier_tolerance_pct: Decimal = Decimal(40)
    outlier_min_observations: int = 3
    # The price index (competitor median ÷ own list price x 100) band: crossing it is announced.
    positioning_band_low: Decimal = Decimal(90)
    positioning_band_high: Decimal = Decimal(110)
    # The weekly digests: every replica runs the job; each digest is written once.
    digest_schedule_enabled: bool = True
    digest_interval_seconds: float = 3600.0
    digest_first_delay_seconds: float = 60.0
    # The catalogue import takes files up to 16 MiB (50,000 rows are about 6 MB); every other
    # path keeps max_request_body_bytes.
    request_body_caps: dict[str, int] = Field(
        default_factory=lambda: {"/v1/products/imports": 16 * 1024 * 1024}
    )


async def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


MarketSettings = Annotated[Settings, Depends(current_settings)]
