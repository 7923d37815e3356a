"""Accounts settings: environment variables prefixed ``ACCOUNTS_``.

Structured settings (thresholds per currency, SLA rules, case routing) are JSON in the
environment, e.g. ``ACCOUNTS_CASE_SLA_RULES='[{"category": "credit", "hours": 8}]'``."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from tread_accounts.potential.policy import QualificationPolicy
from tread_shared.settings import ServiceSettings


class QuadrantThresholds(BaseModel):
    """Where "high" starts on each axis of the qualification (see ``qualification/quadrant.py``).

    Money thresholds are per currency: a qualification in a currency without a threshold is
    refused rather than compared with the wrong yardstick."""

    annual_volume_units: int = 2_000
    margin_potential: dict[str, Decimal] = Field(
        default_factory=lambda: {"CNY": Decimal("300000"), "EUR": Decimal("40000")}
    )
    visits_per_year: int = 24
    hours_per_year: int = 60
    budget: dict[str, Decimal] = Field(
        default_factory=lambda: {"CNY": Decimal("50000"), "EUR": Decimal("6500")}
    )


class SlaRule(BaseModel):
    """Cases of ``category`` and ``priority`` (``*``: any) are due ``hours`` after opening.
    The first matching rule wins, so put the specific rules first."""

    category: str = "*"
    priority: str = "*"
    hours: float = Field(ge=0)


def default_sla_rules() -> list[SlaRule]:
    return [
        SlaRule(category="credit", priority="urgent", hours=2),
        SlaRule(category="credit", priority="high", hours=8),
        SlaRule(priority="urgent", hours=4),
        SlaRule(priority="high", hours=24),
        SlaRule(priority="normal", hours=72),
        SlaRule(priority="low", hours=120),
    ]


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", extra="ignore")

    service_name: str = "accounts"
    http_port: int = 8101

    quadrant_thresholds: QuadrantThresholds = Field(default_factory=QuadrantThresholds)
    # Qualification on potential: thresholds per segment and the service level each quadrant
    # recommends (potential/policy.py).
    qualification_policy: QualificationPolicy = Field(default_factory=QualificationPolicy)
    # Calendar periods (investment control) are counted in this time zone.
    business_timezone: str = "Asia/Shanghai"

    case_sla_rules: list[SlaRule] = Field(default_factory=default_sla_rules)
    # category → the central staff member (token ``sub``) new cases of that category go to.
    case_routing: dict[str, str] = Field(default_factory=dict)
    case_escalation_interval_seconds: float = 60.0
    case_escalation_first_delay_seconds: float = 5.0

    credit_base_url: str = "http://127.0.0.1:9101"
    credit_api_token: SecretStr | None = None
    billing_base_url: str = "http://127.0.0.1:9102"
    billing_api_token: SecretStr | None = None
    integration_timeout_seconds: float = 2.0
    integration_connect_timeout_seconds: float = 1.0
    integration_attempts: int = 3
    integration_backoff_seconds: float = 0.2
    # The whole call, retries included: past it, the last known values are answered.
    integration_deadline_seconds: float = 5.0

    credit_webhook_secret: SecretStr | None = None
    billing_webhook_secret: SecretStr | None = None
    webhook_tolerance_seconds: int = 300

    @field_validator("business_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @property
    def business_zone(self) -> ZoneInfo:
        return ZoneInfo(self.business_timezone)


async def current_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AccountsSettings = Annotated[Settings, Depends(current_settings)]
