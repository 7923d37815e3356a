"""The one durable consumer of what other services tell: the account directory, sell-in and
activities (accounts), audits, facilitation spend and compliance (contracts). One consumer, so
that an account's creation and the events about it are applied in the order they were
published."""

from __future__ import annotations

from tread_actionplans.directory.events import account_handlers
from tread_shared.app import ServiceRuntime
from tread_shared.events.consumer import ConsumerSpec


def inputs_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    return ConsumerSpec(
        durable="actionplans-inputs",
        subjects=["accounts.>", "contracts.>"],
        handlers={**account_handlers()},
    )
