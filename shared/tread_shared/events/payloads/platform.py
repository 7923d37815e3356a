"""Events every service emits."""

from __future__ import annotations

from datetime import datetime

from tread_shared.events.registry import EventPayload


class InstanceStarted(EventPayload):
    """A service instance started: operators see deployments and restarts in the stream."""

    entity = "instance"
    verb = "started"
    version = 1

    service_name: str
    instance_id: str
    software_version: str
    started_at: datetime
