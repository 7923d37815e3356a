"""The services as the command line sees them: each one's package, environment prefix and
default port come from the service's own ``Settings`` class, so they are written down once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property

from tread_shared.settings import ServiceSettings


@dataclass(frozen=True)
class Service:
    name: str

    @property
    def package(self) -> str:
        return "tread_" + self.name.replace("-", "_")

    @cached_property
    def settings_class(self) -> type[ServiceSettings]:
        module = importlib.import_module(f"{self.package}.settings")
        settings_class: type[ServiceSettings] = module.Settings
        return settings_class

    @property
    def env_prefix(self) -> str:
        """``ACCOUNTS_``, ``MARKET_INTEL_`` …"""
        return str(self.settings_class.model_config.get("env_prefix", ""))

    @property
    def default_port(self) -> int:
        port: int = self.settings_class.model_fields["http_port"].default
        return port

    @property
    def database_name(self) -> str:
        """``accounts``, ``market_intel`` …: a file or database name."""
        return self.name.replace("-", "_")

    def env(self, **values: str) -> dict[str, str]:
        """``env(database_url=…)`` → ``{"ACCOUNTS_DATABASE_URL": …}``."""
        return {f"{self.env_prefix}{key.upper()}": value for key, value in values.items()}


SERVICES: tuple[Service, ...] = tuple(
    Service(name)
    for name in ("accounts", "actionplans", "contracts", "market-intel", "reporting", "inbox")
)


def service_named(name: str) -> Service:
    for service in SERVICES:
        if service.name == name:
            return service
    raise KeyError(name)
