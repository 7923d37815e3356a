"""Payload models and the event types they describe.

A payload model names its entity, verb and version; ``service`` is the producing service, or
``None`` for events every service emits (``tread.<service>.instance.started.v1``)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EventPayload(BaseModel):
    """Base of every event payload. Past tense, versioned, one class per event."""

    model_config = ConfigDict(extra="forbid")

    service: ClassVar[str | None] = None
    entity: ClassVar[str]
    verb: ClassVar[str]
    version: ClassVar[int] = 1

    _models: ClassVar[dict[tuple[str | None, str, str, int], type[EventPayload]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "verb" in cls.__dict__ and hasattr(cls, "entity"):
            key = (cls.service, cls.entity, cls.verb, cls.version)
            existing = EventPayload._models.get(key)
            if existing is not None and _clash(existing, cls):
                raise TypeError(f"{_name(cls)} and {_name(existing)} describe one event type")
            EventPayload._models[key] = cls

    @classmethod
    def event_type(cls, service: str | None = None) -> str:
        producer = cls.service or service
        if producer is None:
            raise ValueError(f"{cls.__name__} is emitted by every service: name the service")
        return f"tread.{producer}.{cls.entity}.{cls.verb}.v{cls.version}"


PAYLOADS_PACKAGE = "tread_shared.events.payloads"


def _catalogued(model: type[EventPayload]) -> bool:
    return model.__module__.startswith(PAYLOADS_PACKAGE + ".")


def _name(model: type[EventPayload]) -> str:
    return f"{model.__module__}.{model.__qualname__}"


def _clash(existing: type[EventPayload], new: type[EventPayload]) -> bool:
    """Two models of the catalogue describing one event type (tests may redefine theirs)."""
    return _name(existing) != _name(new) and _catalogued(existing) and _catalogued(new)


def payload_model_for(event_type: str) -> type[EventPayload] | None:
    """The payload model of an event type, or ``None`` when it is unknown here."""
    import tread_shared.events.payloads  # noqa: F401  (registers every model)

    parts = event_type.split(".")
    if len(parts) != 5 or parts[0] != "tread" or not parts[4][1:].isdigit():
        return None
    service, entity, verb, version = parts[1], parts[2], parts[3], int(parts[4][1:])
    models = EventPayload._models
    return models.get((service, entity, verb, version)) or models.get((None, entity, verb, version))


def all_payload_models() -> list[type[EventPayload]]:
    """Every payload model of Tread's catalogue (those in ``tread_shared.events.payloads``;
    models defined elsewhere, e.g. by tests, are left out), by producer, entity, verb, version."""
    import tread_shared.events.payloads  # noqa: F401  (registers every model)

    return sorted(
        (model for model in EventPayload._models.values() if _catalogued(model)),
        key=lambda m: (m.service or "", m.entity, m.verb, m.version),
    )
