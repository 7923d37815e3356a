"""The deviation and corrective action lifecycles.

A deviation is ``open`` while its indicator's period is amber or red (or the contract at risk)
and ``closed`` when it recovers or someone closes it; it opens again if the period falls back.
A corrective action is ``open`` until it is ``done`` or ``cancelled``; an open action past its
due date is overdue (announced once). Any other step is a 409 naming the allowed ones."""

from __future__ import annotations

from tread_actionplans.lifecycle import Moves

DEVIATION_MOVES: Moves = {
    "open": {"close": "closed"},
    "closed": {"reopen": "open"},
}
ACTION_MOVES: Moves = {
    "open": {"complete": "done", "cancel": "cancelled"},
    "done": {},
    "cancelled": {},
}
