"""The one durable consumer of what other services tell: the account directory, sell-in and
activities (accounts), audits, facilitation spend and compliance (contracts). One consumer, so
that an account's creation and the events about it are applied in the order they were
published."""

from __future__ import annotations

from tread_actionplans.deviations.feeds import compliance_handler
from tread_actionplans.directory.events import account_batch_handlers
from tread_actionplans.indicators.feeds import audit_measurements, measurement_handlers
from tread_actionplans.plans.audits import audit_handler
from tread_actionplans.settings import Settings
from tread_shared.app import ServiceRuntime
from tread_shared.events.consumer import ConsumerSpec
from tread_shared.events.payloads.contracts import (
    AuditCompleted,
    AuditCompletedV1,
    ComplianceChanged,
)


def inputs_consumer(runtime: ServiceRuntime) -> ConsumerSpec:
    settings = runtime.settings
    assert isinstance(settings, Settings)
    outbox = runtime.outbox
    return ConsumerSpec(
        durable="actionplans-inputs",
        subjects=["accounts.>", "contracts.>"],
        handlers={
            # v1 (audits of a contract, before v2) reads as v2: one handler for both, so an
            # audit announced before an upgrade still drafts its plan.
            **dict.fromkeys(
                (AuditCompleted.event_type(), AuditCompletedV1.event_type()),
                audit_handler(outbox, settings, audit_measurements(outbox)),
            ),
            ComplianceChanged.event_type(): compliance_handler(outbox),
        },
        batch_handlers={**account_batch_handlers(), **measurement_handlers(outbox)},
    )
