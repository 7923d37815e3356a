"""Which projectors an event goes through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tread_reporting.projection.writes import Writes
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.registry import EventPayload, payload_model_for


@dataclass(frozen=True)
class Landing:
    """The event being applied and its place in the stream (a version for payloads without
    one of their own: a later sell-in of the same month replaces an earlier one)."""

    event: CloudEvent
    stream_seq: int


Projector = Callable[[Any, Landing, Writes], None]
EveryEventProjector = Callable[[Landing, Writes], None]
F = TypeVar("F", bound=Callable[..., None])


@dataclass
class Projection:
    """Projectors by payload type, plus those that see every event."""

    by_payload: dict[type[EventPayload], list[Projector]] = field(default_factory=dict)
    every_event: list[EveryEventProjector] = field(default_factory=list)

    def on(self, *payload_types: type[EventPayload]) -> Callable[[F], F]:
        """Register the decorated ``projector(payload, landing, writes)`` for these payloads."""

        def register(projector: F) -> F:
            for payload_type in payload_types:
                self.by_payload.setdefault(payload_type, []).append(projector)
            return projector

        return register

    def on_every_event(self, projector: F) -> F:
        self.every_event.append(projector)
        return projector

    @classmethod
    def merge(cls, *parts: Projection) -> Projection:
        merged = cls()
        for part in parts:
            for payload_type, projectors in part.by_payload.items():
                merged.by_payload.setdefault(payload_type, []).extend(projectors)
            merged.every_event.extend(part.every_event)
        return merged

    def event_types(self) -> list[str]:
        return sorted(payload_type.event_type() for payload_type in self.by_payload)

    def project(self, event: CloudEvent, stream_seq: int, writes: Writes) -> None:
        """Add the rows ``event`` writes. A payload that is not what its type promises raises
        pydantic's ``ValidationError``: it never will be, the consumer dead-letters it at once."""
        landing = Landing(event, stream_seq)
        payload_type = payload_model_for(event.type)
        projectors = self.by_payload.get(payload_type, []) if payload_type else []
        if projectors:
            assert payload_type is not None
            payload = payload_type.model_validate(event.data)
            for projector in projectors:
                projector(payload, landing, writes)
        for every in self.every_event:
            every(landing, writes)
