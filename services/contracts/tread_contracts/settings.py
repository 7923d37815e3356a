"""Contracts settings: environment variables prefixed ``CONTRACTS_``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tread_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTRACTS_", extra="ignore")

    service_name: str = "contracts"
    http_port: int = 8103

    # The highest discount (percent) each role may offer without a district manager's approval;
    # a caller with several roles has the highest of theirs. JSON in the environment:
    # CONTRACTS_DISCOUNT_LIMIT_PCT='{"account_manager": "12"}'.
    discount_limit_pct: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "account_manager": Decimal(10),
            "key_account_manager": Decimal(15),
            "district_manager": Decimal(25),
            "admin": Decimal(100),
        }
    )
    # Offer lines against the market-intel catalogue: codes must be active products, a missing
    # list price is the one in force, another one is flagged for approval. Off for a contracts
    # service deployed alone (every line then states its price); ``tread up`` and
    # docker-compose turn it on (docs/architecture.md, "Market intel").
    catalogue_check: bool = False
    # Days before a contract's end at which a renewal-due event is emitted (once per window).
    renewal_notice_days: list[int] = Field(default_factory=lambda: [90, 30])
    # Compliance (docs/rules.md): a closed month's sell-in is awaited this many days before the
    # month is judged without it; behind pace by at most this percentage is on track; an
    # audit counts for this many months; a new contract's first audit is due this many months
    # after its start.
    sell_in_grace_days: int = Field(default=10, ge=0, le=90)
    pace_tolerance_pct: Decimal = Field(default=Decimal(10), ge=0, le=100)
    audit_validity_months: int = Field(default=12, ge=1, le=60)
    first_audit_due_months: int = Field(default=6, ge=0, le=24)
    # Expiries, renewal notices and compliance re-evaluation run on this period in every
    # replica (each is safe to run concurrently).
    schedule_enabled: bool = True
    schedule_interval_seconds: float = 3600.0
    schedule_first_delay_seconds: float = 30.0


async def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ContractsSettings = Annotated[Settings, Depends(current_settings)]
