"""The consumer of the accounts service's events: the local account directory."""

from __future__ import annotations

from tread_market_intel.directory.models import AccountDirectory
from tread_shared.app import ServiceRuntime
from tread_shared.directory.handlers import directory_batch_handlers
from tread_shared.events.consumer import ConsumerSpec


def accounts_consumer(_runtime: ServiceRuntime) -> ConsumerSpec:
    return ConsumerSpec(
        durable="market-intel-accounts",
        subjects=["accounts.>"],
        handlers={},
        batch_handlers=directory_batch_handlers(AccountDirectory),
    )
