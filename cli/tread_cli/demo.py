"""Demo data, loaded by ``tread up`` through the gateway as any client would load it.

Each record names its collection, the role that creates it, a query that finds it once it
exists, and its body. Loading looks each record up first and creates only what is missing (with
an ``Idempotency-Key``), so running it against a loaded system changes nothing. A body may point
at a record created before it with :class:`Ref`.

The list is empty while the services have no domain endpoints: add records here as the
accounts, contracts, action plans and market-intel endpoints arrive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Ref:
    """The ``id`` of the demo record with this key (found or created earlier in the list)."""

    key: str


@dataclass(frozen=True)
class DemoRecord:
    key: str
    collection: str  # e.g. "/v1/accounts"
    role: str  # whose development token creates it
    lookup: Mapping[str, str]  # list filters that find it, e.g. {"legal_id": "91310000MA1FL"}
    body: Mapping[str, Any]


DEMO_RECORDS: tuple[DemoRecord, ...] = ()


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    not_served: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not (self.created or self.existing or self.not_served or self.failed):
            return "no demo records defined yet (cli/tread_cli/demo.py)"
        parts = [f"{len(self.created)} created", f"{len(self.existing)} already there"]
        if self.not_served:
            parts.append(f"{len(self.not_served)} waiting for their endpoint")
        if self.failed:
            parts.append(f"{len(self.failed)} failed: " + "; ".join(self.failed))
        return ", ".join(parts)


def _resolve(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, Ref):
        return ids[value.key]
    if isinstance(value, Mapping):
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(v, ids) for v in value]
    return value


def load_demo_data(
    gateway_url: str,
    tokens: Mapping[str, str],
    records: Sequence[DemoRecord] = DEMO_RECORDS,
    timeout: float = 10.0,
) -> DemoReport:
    report = DemoReport()
    ids: dict[str, str] = {}
    with httpx.Client(base_url=gateway_url, timeout=timeout) as client:
        for record in records:
            if any(ref not in ids for ref in _refs([record.body, record.lookup])):
                report.failed.append(f"{record.key}: a record it refers to is missing")
                continue
            headers = {"Authorization": f"Bearer {tokens[record.role]}"}
            lookup = {k: str(_resolve(v, ids)) for k, v in record.lookup.items()}
            found = client.get(record.collection, params=lookup, headers=headers)
            if found.status_code in (404, 405):
                report.not_served.append(record.key)
                continue
            if found.status_code != 200:
                report.failed.append(f"{record.key}: looking it up answered {found.status_code}")
                continue
            items = found.json().get("items", [])
            if items:
                ids[record.key] = str(items[0]["id"])
                report.existing.append(record.key)
                continue
            created = client.post(
                record.collection,
                json=_resolve(record.body, ids),
                headers={**headers, "Idempotency-Key": f"demo-{record.key}"},
            )
            if created.status_code in (200, 201):
                ids[record.key] = str(created.json()["id"])
                report.created.append(record.key)
            else:
                report.failed.append(f"{record.key}: {created.status_code} {created.text[:200]}")
    return report


def _refs(value: Any) -> list[str]:
    if isinstance(value, Ref):
        return [value.key]
    if isinstance(value, Mapping):
        return [key for v in value.values() for key in _refs(v)]
    if isinstance(value, list | tuple):
        return [key for v in value for key in _refs(v)]
    return []
