"""How compliance judges time: when a month's sell-in counts, how far behind pace is still on
track, how long an audit stays valid and when a new contract's first audit is due
(docs/rules.md, "Compliance")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tread_contracts.settings import Settings


@dataclass(frozen=True)
class CompliancePolicy:
    # A closed month is judged once its sell-in has arrived, or this many days after its end.
    sell_in_grace_days: int = 10
    # Behind the expected volume by at most this share (percent) is still on track.
    pace_tolerance_pct: Decimal = Decimal(10)
    # An audit's scores count for this many months after the audit.
    audit_validity_months: int = 12
    # A new contract's first audit is due this many months after its start.
    first_audit_due_months: int = 6

    @classmethod
    def of(cls, settings: Settings) -> CompliancePolicy:
        return cls(
            sell_in_grace_days=settings.sell_in_grace_days,
            pace_tolerance_pct=settings.pace_tolerance_pct,
            audit_validity_months=settings.audit_validity_months,
            first_audit_due_months=settings.first_audit_due_months,
        )
