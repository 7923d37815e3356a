"""The resource request lifecycle: ``requested`` → ``approved`` (the amount asked, or less) or
``rejected`` (with a reason), decided by a district manager of the plan's territory (or the
account's key account manager), never by the requester or the plan's owner. Any other step is
a 409 naming the allowed ones. What is committed against an approved request never exceeds what
was approved."""

from __future__ import annotations

from tread_actionplans.lifecycle import Moves

MOVES: Moves = {
    "requested": {"approve": "approved", "reject": "rejected"},
    "approved": {},
    "rejected": {},
}
