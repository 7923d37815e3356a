"""Emitting through the outbox (the shared mechanism, named here for the service's modules)."""

from tread_shared.events.emit import emit

__all__ = ["emit"]
