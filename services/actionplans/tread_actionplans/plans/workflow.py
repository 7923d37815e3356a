"""The plan workflow.

    draft → submitted → approved → active → closed

A submitted plan may also be rejected, back to draft, with a reason. A district manager of the
plan's territory approves or rejects (a key account manager too, for the accounts they manage),
never the plan's own owner or submitter. Any other step is a 409 naming the allowed ones."""

from __future__ import annotations

from typing import Literal

from tread_actionplans.lifecycle import Moves

PlanStep = Literal["submit", "approve", "reject", "activate", "close"]

MOVES: Moves = {
    "draft": {"submit": "submitted"},
    "submitted": {"approve": "approved", "reject": "draft"},
    "approved": {"activate": "active"},
    "active": {"close": "closed"},
    "closed": {},
}
# Plans whose indicators are followed: deviations open only on these.
FOLLOWED = ("approved", "active")
# Plans that event-fed measurements still reach.
OPEN = ("draft", "submitted", "approved", "active")
