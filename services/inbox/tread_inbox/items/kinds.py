"""The kinds of item. Decisions wait for the caller (and close by themselves when anyone
entitled takes the decision); alerts tell the caller something happened."""

from __future__ import annotations

from typing import Literal

DECISIONS = (
    "offer_approval",
    "facilitation_approval",
    "plan_approval",
    "resource_request",
    "argument_validation",
    "case_assigned",
)
ALERTS = (
    "case_escalated",
    "renewal_due",
    "deviation_opened",
    "action_overdue",
    "compliance_at_risk",
    "credit_blocked",
    "digest_issued",
)
KINDS = DECISIONS + ALERTS

ItemKind = Literal[
    "offer_approval",
    "facilitation_approval",
    "plan_approval",
    "resource_request",
    "argument_validation",
    "case_assigned",
    "case_escalated",
    "renewal_due",
    "deviation_opened",
    "action_overdue",
    "compliance_at_risk",
    "credit_blocked",
    "digest_issued",
]
ItemCategory = Literal["decision", "alert"]
ItemState = Literal["unread", "read", "done"]


def category_of(kind: str) -> ItemCategory:
    return "decision" if kind in DECISIONS else "alert"
