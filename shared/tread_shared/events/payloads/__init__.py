"""Event payload models, one module per producing service. Importing this package registers
every model in :mod:`tread_shared.events.registry`."""

from tread_shared.events.payloads import accounts, platform  # noqa: F401
