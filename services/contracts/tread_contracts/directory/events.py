"""The consumer of the accounts service's events: the directory, and sell-in for compliance."""

from __future__ import annotations

from tread_contracts.compliance.events import sell_in_handlers
from tread_contracts.compliance.policy import CompliancePolicy
from tread_contracts.directory.models import AccountDirectory
from tread_contracts.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.directory.handlers import directory_batch_handlers
from tread_shared.events.consumer import ConsumerSpec


def _policy(runtime: ServiceRuntime) -> CompliancePolicy:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    return CompliancePolicy.of(settings)


def accounts_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    return ConsumerSpec(
        durable="contracts-accounts",
        subjects=["accounts.>"],
        handlers=sell_in_handlers(runtime.outbox, _policy(runtime)),
        batch_handlers=directory_batch_handlers(AccountDirectory),
    )
