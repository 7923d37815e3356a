"""Scheduled work one item per transaction (the shared mechanism, named here for the service's
modules)."""

from tread_shared.db.per_item import each_in_own_transaction

__all__ = ["each_in_own_transaction"]
