"""The case workflow and its SLA.

    open → in_progress → waiting_customer → resolved → closed

``waiting_customer`` goes back to ``in_progress`` when the customer answers, a resolved case can
be reopened (back to ``in_progress``), and anything still unresolved may be resolved directly.
Any other move is a 409. A case is *overdue* when it is not resolved or closed by its due date,
which the first matching SLA rule (``ACCOUNTS_CASE_SLA_RULES``) sets from the opening time; the
SLA clock runs in calendar hours and does not stop while waiting for the customer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from tread_accounts.settings import SlaRule

CaseStatus = Literal["open", "in_progress", "waiting_customer", "resolved", "closed"]
CaseCategory = Literal["credit", "billing", "supply", "quality", "other"]
CasePriority = Literal["low", "normal", "high", "urgent"]

TRANSITIONS: dict[str, tuple[CaseStatus, ...]] = {
    "open": ("in_progress", "resolved"),
    "in_progress": ("waiting_customer", "resolved"),
    "waiting_customer": ("in_progress", "resolved"),
    "resolved": ("closed", "in_progress"),
    "closed": (),
}
UNRESOLVED: tuple[CaseStatus, ...] = ("open", "in_progress", "waiting_customer")


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def due_at(opened_at: datetime, category: str, priority: str, rules: list[SlaRule]) -> datetime:
    """The SLA due date: the first rule matching the category and priority; without any, a
    week."""
    for rule in rules:
        if rule.category in ("*", category) and rule.priority in ("*", priority):
            return opened_at + timedelta(hours=rule.hours)
    return opened_at + timedelta(days=7)


def is_overdue(status: str, due: datetime, now: datetime) -> bool:
    return status in UNRESOLVED and due < now
