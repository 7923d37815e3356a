"""The qualification policy (``ACCOUNTS_QUALIFICATION_POLICY``, JSON): where "high" starts on
each axis per segment, and the service level each quadrant recommends.

|                     | low current result | high current result |
|---------------------|--------------------|---------------------|
| **high potential**  | ``develop``        | ``maintain``        |
| **low potential**   | ``reduce``         | ``optimise``        |

- **Potential**: the account's estimated annual tyre purchases (all brands) times the share we
  can win: high from the segment's ``potential_units``.
- **Current result**: our sell-in of the last twelve months, high from ``current_units``, or
  the margin it earns, high from ``current_margin`` in its currency: either alone.

Segments not named use ``"*"``: a fleet is not judged by a dealer group's yardstick."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Quadrant = Literal["develop", "maintain", "optimise", "reduce"]
ANY_SEGMENT = "*"


class SegmentThresholds(BaseModel):
    potential_units: int = Field(ge=0)
    current_units: int = Field(ge=0)
    current_margin: dict[str, Decimal]


class ServiceLevel(BaseModel):
    """What serving an account of a quadrant takes in a year."""

    visits_per_year: int = Field(ge=0)
    hours_per_year: int = Field(ge=0)
    budget: dict[str, Decimal] = Field(description="Per currency")


def _default_thresholds() -> dict[str, SegmentThresholds]:
    return {
        ANY_SEGMENT: SegmentThresholds(
            potential_units=2_000,
            current_units=1_000,
            current_margin={"CNY": Decimal(300_000), "EUR": Decimal(40_000)},
        ),
        "long_haul_fleet": SegmentThresholds(
            potential_units=1_000,
            current_units=400,
            current_margin={"CNY": Decimal(120_000), "EUR": Decimal(16_000)},
        ),
        "dealer_group": SegmentThresholds(
            potential_units=10_000,
            current_units=5_000,
            current_margin={"CNY": Decimal(1_500_000), "EUR": Decimal(200_000)},
        ),
    }


def _default_service_levels() -> dict[Quadrant, ServiceLevel]:
    return {
        "develop": ServiceLevel(
            visits_per_year=24,
            hours_per_year=60,
            budget={"CNY": Decimal(50_000), "EUR": Decimal(6_500)},
        ),
        "maintain": ServiceLevel(
            visits_per_year=12,
            hours_per_year=36,
            budget={"CNY": Decimal(30_000), "EUR": Decimal(4_000)},
        ),
        "optimise": ServiceLevel(
            visits_per_year=6,
            hours_per_year=12,
            budget={"CNY": Decimal(5_000), "EUR": Decimal(700)},
        ),
        "reduce": ServiceLevel(
            visits_per_year=2, hours_per_year=4, budget={"CNY": Decimal(0), "EUR": Decimal(0)}
        ),
    }


class QualificationPolicy(BaseModel):
    thresholds: dict[str, SegmentThresholds] = Field(default_factory=_default_thresholds)
    service_levels: dict[Quadrant, ServiceLevel] = Field(default_factory=_default_service_levels)

    @field_validator("thresholds")
    @classmethod
    def _has_default(cls, value: dict[str, SegmentThresholds]) -> dict[str, SegmentThresholds]:
        if ANY_SEGMENT not in value:
            raise ValueError(f'thresholds need a "{ANY_SEGMENT}" entry for other segments')
        return value

    @field_validator("service_levels")
    @classmethod
    def _every_quadrant(cls, value: dict[Quadrant, ServiceLevel]) -> dict[Quadrant, ServiceLevel]:
        missing = {"develop", "maintain", "optimise", "reduce"} - set(value)
        if missing:
            raise ValueError(f"service levels are missing for {', '.join(sorted(missing))}")
        return value

    def thresholds_for(self, segment: str | None) -> tuple[str, SegmentThresholds]:
        """The segment whose thresholds apply (``"*"`` when not named) and them."""
        key = segment if segment in self.thresholds else ANY_SEGMENT
        return key, self.thresholds[key]


def quadrant_of(high_potential: bool, high_result: bool) -> Quadrant:
    if high_potential:
        return "maintain" if high_result else "develop"
    return "optimise" if high_result else "reduce"
