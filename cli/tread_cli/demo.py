"""Demo data, loaded by ``tread up`` through the gateway as any client would load it.

Each record names its collection, the role that creates it, a query that finds it once it
exists, and its body. Loading looks each record up first and creates only what is missing (with
an ``Idempotency-Key``), so running it against a loaded system changes nothing. A body may point
at a record created before it with :class:`Ref`, a collection with ``{key}`` (e.g.
``/v1/accounts/{huadong-group}/contacts``).

A record may carry :class:`Step` s, actions after creation (submit a contract, sign it). Each
runs only while the record's state matches its ``when``, so a run that stopped half-way carries
on where it stopped and a finished record is left alone."""

from __future__ import annotations

import string
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

# Enough for any list the demo looks in; a lookup never pages through a big production table.
MAX_LOOKUP_PAGES = 20


@dataclass(frozen=True)
class Ref:
    """The ``id`` of the demo record with this key (found or created earlier in the list)."""

    key: str


@dataclass(frozen=True)
class Step:
    """An action on a record once it exists: ``method`` on ``path`` (``{id}`` is the record's
    id), taken only while every field in ``when`` has that value in the record's latest state
    (as listed, or as the previous step answered)."""

    name: str
    method: str
    path: str
    role: str
    when: Mapping[str, Any]
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DemoRecord:
    key: str
    collection: str  # e.g. "/v1/accounts", or "/v1/accounts/{some-account-key}/contacts"
    role: str  # whose development token creates it
    # List filters that find it, e.g. {"q": "Huadong", "name": "Huadong Tyre Group"}. Listed
    # items are also compared on every filter that is one of their fields, so a filter the
    # endpoint does not know still picks the right item.
    lookup: Mapping[str, Any]
    body: Mapping[str, Any]
    steps: tuple[Step, ...] = ()
    # How long a 422 may only mean that the service has not yet heard (by event) of a record
    # made in another service just before, e.g. a contract for a new account.
    retry_for: float = 0.0
    # A record another service's event makes (the plan an audit drafts): never created here,
    # looked up for this long until it appears.
    made_by_event_within: float = 0.0


def _days_ago(days: int, hour: int) -> str:
    """A moment ``days`` before today at ``hour`` UTC (hour 2 is 10:00 in Beijing)."""
    today = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (today - timedelta(days=days)).isoformat()


def _cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _account(key: str, role: str, body: Mapping[str, Any], *steps: Step) -> DemoRecord:
    return DemoRecord(
        key=key,
        collection="/v1/accounts",
        role=role,
        lookup={"q": body["name"], "name": body["name"], "territory": body["territory"]},
        body=body,
        steps=steps,
    )


def _qualified(role: str, volume: int, margin: str, visits: int, hours: int, budget: str) -> Step:
    return Step(
        name="qualified",
        method="PUT",
        path="/v1/accounts/{id}/qualification",
        role=role,
        when={"quadrant": None},
        body={
            "expected": {"annual_volume_units": volume, "margin_potential": _cny(margin)},
            "planned_investment": {
                "visits_per_year": visits,
                "hours_per_year": hours,
                "budget": _cny(budget),
            },
        },
    )


def _contact(key: str, account: str, body: Mapping[str, Any]) -> DemoRecord:
    return DemoRecord(
        key=key,
        collection=f"/v1/accounts/{{{account}}}/contacts",
        role="account_manager",
        lookup={"q": body["full_name"], "full_name": body["full_name"]},
        body=body,
    )


def _activity(key: str, account: str, body: Mapping[str, Any]) -> DemoRecord:
    # One activity of each type per account in the demo: the type finds it again.
    return DemoRecord(
        key=key,
        collection=f"/v1/accounts/{{{account}}}/activities",
        role="account_manager",
        lookup={"type": body["type"]},
        body=body,
    )


def _signature(party: str, name: str, role: str) -> dict[str, str]:
    return {
        "party": party,
        "signer_name": name,
        "signer_role": role,
        "method": "e-signature",
        "document_sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    }


YEAR = datetime.now(UTC).year


def _product(key: str, code: str, kind: str, range_: str, name: str, **fields: Any) -> DemoRecord:
    body = {"code": code, "kind": kind, "brand": "Tread", "range": range_, "name": name, **fields}
    return DemoRecord(key, "/v1/products", "central", {"code": code}, body)


def _list_price(key: str, product: str, amount: str, territory: str | None = None) -> DemoRecord:
    # From two years back, so that every month of the demo's observations has a price in force.
    valid_from = f"{YEAR - 2}-01-01"
    body = {"territory": territory, "list_price": _cny(amount), "valid_from": valid_from}
    lookup = {"valid_from": valid_from, "territory": territory}
    return DemoRecord(key, f"/v1/products/{{{product}}}/prices", "central", lookup, body)


def _price_seen(number: int, code: str, competitor: str, amount: str, days: int) -> DemoRecord:
    # A client-made id, as the field app makes them offline: loading again finds it.
    observation_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tread-demo-observation-{number}"))
    body = {
        "id": observation_id,
        "kind": "competitor_price",
        "territory": "north",
        "product_code": code,
        "competitor": competitor,
        "observed_price": _cny(amount),
        "observed_at": _days_ago(days, 2),
        "source": "dealer quote",
        "confidence": "high",
        "text": f"{competitor} quoted {amount} CNY for the 315/80 R22.5",
    }
    lookup = {"product_code": code, "id": observation_id}
    return DemoRecord(f"observation-{number}", "/v1/observations", "account_manager", lookup, body)


def market_intel_records() -> tuple[DemoRecord, ...]:
    tyre = {"width": 315, "aspect_ratio": 80, "rim": "22.5", "load_index": "156/150"}
    xmd, xza, retread = "TR-315/80R22.5-XMD", "TR-295/80R22.5-XZA", "RT-315/80R22.5-XMD"
    seen = [
        (xmd, "Rival", "1990.00", 80),
        (xmd, "Rival", "2020.00", 74),
        (xmd, "Cheapo", "1560.00", 70),
        (xmd, "Rival", "2050.00", 45),
        (xmd, "Rival", "2100.00", 40),
        (xmd, "Cheapo", "1590.00", 35),
        (xmd, "Rival", "2290.00", 12),
        (xmd, "Rival", "2350.00", 6),
        (xza, "Cheapo", "1450.00", 20),
    ]
    return (
        _product(
            "product-xmd",
            xmd,
            "tyre",
            "X Multi",
            "X Multi D 315/80R22.5",
            spec={**tyre, "speed_index": "L"},
            usage_types=["long_haul", "regional"],
        ),
        _product(
            "product-xza",
            xza,
            "tyre",
            "X Line",
            "X Line Energy Z 295/80R22.5",
            spec={"width": 295, "aspect_ratio": 80, "rim": "22.5", "load_index": "152/148"},
            usage_types=["long_haul"],
        ),
        _product(
            "product-retread",
            retread,
            "retread",
            "X Multi",
            "X Multi D retread",
            spec=tyre,
            usage_types=["regional", "urban"],
        ),
        _product("product-audit", "SV-FLEET-AUDIT", "service", "Services", "Fleet tyre audit"),
        _list_price("price-xmd", "product-xmd", "2150.00"),
        _list_price("price-xmd-north", "product-xmd", "2080.00", "north"),
        _list_price("price-xza", "product-xza", "1890.00"),
        _list_price("price-retread", "product-retread", "1150.00"),
        _list_price("price-audit", "product-audit", "500.00"),
        DemoRecord(
            "rival-lhp",
            "/v1/competitor-products",
            "central",
            {"competitor": "Rival", "name": "Rival Long Haul Pro 315/80R22.5"},
            {
                "competitor": "Rival",
                "brand": "Rival",
                "range": "Long Haul Pro",
                "name": "Rival Long Haul Pro 315/80R22.5",
                "spec": tyre,
                "positioning": "mid",
                "equivalents": [{"product_code": xmd, "note": "same size, long-haul drive axle"}],
            },
        ),
        DemoRecord(
            "cheapo-road",
            "/v1/competitor-products",
            "central",
            {"competitor": "Cheapo", "name": "Cheapo Road 315/80R22.5"},
            {
                "competitor": "Cheapo",
                "brand": "Cheapo",
                "name": "Cheapo Road 315/80R22.5",
                "spec": tyre,
                "positioning": "budget",
                "equivalents": [{"product_code": xmd}, {"product_code": xza}],
            },
        ),
        *(_price_seen(n, *row) for n, row in enumerate(seen, start=1)),
        DemoRecord(
            "digest-subscription",
            "/v1/subscriptions",
            "account_manager",
            {"subscriber_id": "am-lucas"},
            {"competitors": ["Rival", "Cheapo"], "kinds": ["competitor_price"]},
        ),
    )


DEMO_RECORDS: tuple[DemoRecord, ...] = (
    # Lucas's portfolio in the north (Claire's district, with the east): a dealer group Claire
    # set up with Sofia as its key account manager, its two outlets, an independent dealer in
    # the east and two end-user fleets.
    _account(
        "huadong-group",
        "district_manager",
        {
            "kind": "dealer",
            "name": "Huadong Tyre Group",
            "territory": "north",
            "owner_id": "am-lucas",
            "key_account_manager_id": "kam-sofia",
            "status": "active",
            "segment": "truck_dealer",
            "legal_id": "91110105MA01HD8X2K",
            "erp_customer_id": "CN-D-10001",
            "channels": ["truck", "bus"],
            "addresses": [
                {
                    "kind": "registered",
                    "line1": "88 Jianguo Road, Chaoyang District",
                    "city": "Beijing",
                    "postal_code": "100022",
                    "country": "CN",
                }
            ],
        },
        _qualified("account_manager", 9000, "1350000.00", 36, 96, "60000.00"),
    ),
    _account(
        "huadong-beijing",
        "account_manager",
        {
            "kind": "dealer",
            "name": "Huadong Tyres Beijing Daxing",
            "territory": "north",
            "status": "active",
            "segment": "truck_dealer",
            "parent_id": Ref("huadong-group"),
            "erp_customer_id": "CN-D-10002",
            "channels": ["truck"],
        },
    ),
    _account(
        "huadong-tianjin",
        "account_manager",
        {
            "kind": "dealer",
            "name": "Huadong Tyres Tianjin Binhai",
            "territory": "north",
            "status": "active",
            "segment": "truck_dealer",
            "parent_id": Ref("huadong-group"),
            "erp_customer_id": "CN-D-10003",
            "channels": ["truck", "agricultural"],
        },
    ),
    _account(
        "jinlun-auto",
        "account_manager",
        {
            "kind": "dealer",
            "name": "Jinlun Tyre & Auto Service",
            "territory": "east",
            "status": "active",
            "segment": "passenger_dealer",
            "erp_customer_id": "CN-D-20417",
            "channels": ["passenger", "light_truck"],
            "addresses": [
                {
                    "kind": "site",
                    "line1": "1266 Caoan Highway, Jiading District",
                    "city": "Shanghai",
                    "postal_code": "201800",
                    "country": "CN",
                }
            ],
        },
        _qualified("account_manager", 1800, "210000.00", 12, 24, "15000.00"),
    ),
    _account(
        "jingjin-logistics",
        "account_manager",
        {
            "kind": "end_user",
            "name": "Jingjin Cold Chain Logistics",
            "territory": "north",
            "status": "active",
            "segment": "long_haul_fleet",
            "legal_id": "91120116MA05JJ3L7Q",
        },
        _qualified("account_manager", 2600, "300000.00", 6, 12, "8000.00"),
    ),
    # Jingjin qualified on its potential: a long-haul fleet's thresholds, the service level its
    # quadrant recommends against what Lucas plans; Claire validated it.
    DemoRecord(
        key="jingjin-potential",
        collection="/v1/accounts/{jingjin-logistics}/qualifications",
        role="account_manager",
        lookup={"qualified_by": "am-lucas"},
        body={
            "estimated_annual_purchases_units": 3000,
            "target_share_pct": "40",
            "current_margin": _cny("300000.00"),
            "planned_investment": {
                "visits_per_year": 6,
                "hours_per_year": 12,
                "budget": _cny("8000.00"),
            },
            "notes": "Fleet renewing 400 trailers over two years",
        },
        steps=(
            Step(
                "validated",
                "POST",
                "/v1/accounts/{jingjin-logistics}/qualifications/{id}/decision",
                "district_manager",
                {"status": "proposed"},
                {"decision": "validated", "note": "Maintain; plan the recommended visits"},
            ),
        ),
    ),
    _account(
        "hangzhou-bus",
        "account_manager",
        {
            "kind": "end_user",
            "name": "Hangzhou Urban Bus Company",
            "territory": "east",
            "status": "prospect",
            "segment": "urban_bus",
        },
    ),
    _contact(
        "huadong-owner",
        "huadong-group",
        {
            "full_name": "Li Wei",
            "roles": ["owner"],
            "job_title": "General manager",
            "phone": "+86 138 0013 8000",
            "email": "li.wei@huadong-tyres.example",
            "consents": {"phone_calls": True},
        },
    ),
    _contact(
        "jingjin-fleet-manager",
        "jingjin-logistics",
        {
            "full_name": "Zhang Min",
            "roles": ["fleet_manager"],
            "job_title": "Fleet maintenance manager",
            "phone": "+86 139 2001 4567",
            "consents": {"phone_calls": True, "email_marketing": True},
            "email": "zhang.min@jingjin-logistics.example",
        },
    ),
    _activity(
        "huadong-beijing-visit",
        "huadong-beijing",
        {
            "type": "visit",
            "subject": "Winter stock review",
            "started_at": _days_ago(12, 2),
            "duration_minutes": 120,
            "cost": _cny("180.00"),
            "outcome": "Agreed 600 truck tyres of winter stock for December",
            "follow_ups": [{"action": "Send the winter price list", "owner_id": "am-lucas"}],
        },
    ),
    _activity(
        "jingjin-visit",
        "jingjin-logistics",
        {
            "type": "visit",
            "subject": "Tyre pressure audit of the reefer fleet",
            "started_at": _days_ago(8, 1),
            "duration_minutes": 180,
            "cost": _cny("350.00"),
            "participants": [{"name": "Zhang Min", "role": "fleet_manager"}],
            "outcome": "Twelve trailers under-inflated; retreading trial proposed",
        },
    ),
    _activity(
        "jinlun-call",
        "jinlun-auto",
        {
            "type": "call",
            "subject": "Spring promotion",
            "started_at": _days_ago(3, 6),
            "duration_minutes": 20,
            "cost": _cny("0.00"),
            "outcome": "Interested in the SUV all-season range",
        },
    ),
    _activity(
        "huadong-tianjin-training",
        "huadong-tianjin",
        {
            "type": "training",
            "subject": "Fitting and balancing of 22.5-inch truck tyres",
            "started_at": _days_ago(5, 1),
            "duration_minutes": 240,
            "cost": _cny("1500.00"),
            "participants": [{"name": "Workshop team (6 fitters)"}],
        },
    ),
    DemoRecord(
        key="jinlun-delivery-case",
        collection="/v1/accounts/{jinlun-auto}/cases",
        role="account_manager",
        lookup={"title": "Late delivery of the November order"},
        body={
            "category": "supply",
            "priority": "high",
            "title": "Late delivery of the November order",
            "description": "240 of 400 passenger tyres of order SO-2611-0417 still not "
            "delivered; the dealer's promotion starts next week.",
        },
    ),
    DemoRecord(
        key="partner-program",
        collection="/v1/programs",
        role="central",
        lookup={"name": "Tread Partner Dealers"},
        body={
            "name": "Tread Partner Dealers",
            "description": "Yearly partnership of the truck and passenger tyre dealers.",
            "tiers": [
                {
                    "code": "gold",
                    "name": "Gold partner",
                    "min_annual_volume": 5000,
                    "min_scores": {"LP1": 70, "LP2": 65, "LP3": 60},
                    "rebate_pct": "3.0",
                    "facilitation_budget": _cny("20000.00"),
                },
                {
                    "code": "silver",
                    "name": "Silver partner",
                    "min_annual_volume": 1500,
                    "min_scores": {"LP1": 55, "LP2": 50, "LP3": 45},
                    "rebate_pct": "1.5",
                    "facilitation_budget": _cny("8000.00"),
                },
            ],
        },
    ),
    DemoRecord(
        key="huadong-contract",
        collection="/v1/contracts",
        role="account_manager",
        lookup={"account_id": Ref("huadong-group"), "program_id": Ref("partner-program")},
        body={
            "account_id": Ref("huadong-group"),
            "program_id": Ref("partner-program"),
            "tier": "gold",
            "start_date": f"{YEAR}-01-01",
            "end_date": f"{YEAR}-12-31",
            "commitments": [{"kind": "volume", "period": str(YEAR), "quantity": 6000}],
        },
        steps=(
            Step(
                "submitted",
                "POST",
                "/v1/contracts/{id}/submit",
                "account_manager",
                when={"status": "draft"},
            ),
            Step(
                "signed by the customer",
                "POST",
                "/v1/contracts/{id}/sign",
                "account_manager",
                when={"status": "submitted", "awaiting_signature_of": "customer"},
                body=_signature("customer", "Li Wei", "General manager"),
            ),
            Step(
                "countersigned",
                "POST",
                "/v1/contracts/{id}/sign",
                "district_manager",
                when={"awaiting_signature_of": "manufacturer"},
                body=_signature("manufacturer", "Claire Dubois", "District manager"),
            ),
        ),
        # The contracts service learns of the account by its event, a moment after it is made.
        retry_for=15.0,
    ),
    DemoRecord(
        key="huadong-audit",
        collection="/v1/audits",
        role="account_manager",
        lookup={"account_id": Ref("huadong-group"), "contract_id": Ref("huadong-contract")},
        body={
            "account_id": Ref("huadong-group"),
            "contract_id": Ref("huadong-contract"),
            "performed_at": _days_ago(20, 2),
            "auditor": "Wang Fang",
            "scores": [
                {"criterion": "LP1", "score": 58, "comment": "Fitting procedure not followed"},
                {"criterion": "LP2", "score": 68},
                {"criterion": "LP3", "score": 41, "comment": "No tyre pressure checks logged"},
            ],
        },
    ),
    # The audit's gaps (LP1, LP3) draft Lucas's professionalism plan in the actionplans
    # service; Claire approves it and Lucas starts it.
    DemoRecord(
        key="huadong-professionalism-plan",
        collection="/v1/plans",
        role="account_manager",
        lookup={"account_id": Ref("huadong-group"), "kind": "professionalism"},
        body={},
        steps=(
            Step(
                "submitted", "POST", "/v1/plans/{id}/submit", "account_manager", {"status": "draft"}
            ),
            Step(
                "approved",
                "POST",
                "/v1/plans/{id}/approve",
                "district_manager",
                {"status": "submitted"},
            ),
            Step(
                "activated",
                "POST",
                "/v1/plans/{id}/activate",
                "account_manager",
                {"status": "approved"},
            ),
        ),
        made_by_event_within=20.0,
    ),
    # Market intelligence: a small catalogue with its price book, two competitors, a few
    # months of what Lucas saw of their prices in the north, and his weekly digest.
    *market_intel_records(),
)


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    steps_taken: list[str] = field(default_factory=list)
    not_served: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not (self.created or self.existing or self.not_served or self.failed):
            return "no demo records defined yet (cli/tread_cli/demo.py)"
        parts = [f"{len(self.created)} created", f"{len(self.existing)} already there"]
        if self.steps_taken:
            parts.append(f"{len(self.steps_taken)} steps taken")
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


def _refs(value: Any) -> list[str]:
    if isinstance(value, Ref):
        return [value.key]
    if isinstance(value, Mapping):
        return [key for v in value.values() for key in _refs(v)]
    if isinstance(value, list | tuple):
        return [key for v in value for key in _refs(v)]
    return []


def _placeholders(path: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(path) if name]


def _refers_to(record: DemoRecord) -> list[str]:
    """The keys of the records ``record`` needs (``id`` in a step's path is its own)."""
    bodies = [record.body, record.lookup, [step.body for step in record.steps]]
    paths = [record.collection] + [step.path for step in record.steps]
    named = _refs(bodies) + [name for path in paths for name in _placeholders(path)]
    return [key for key in named if key != "id"]


def _matches(item: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(item[k] == v or str(item[k]) == v for k, v in wanted.items() if k in item)


class _Loader:
    def __init__(self, client: httpx.Client, tokens: Mapping[str, str]) -> None:
        self.client = client
        self.tokens = tokens
        self.ids: dict[str, str] = {}
        self.report = DemoReport()

    def _headers(self, role: str, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def load(self, record: DemoRecord) -> None:
        if any(ref not in self.ids for ref in _refers_to(record)):
            self.report.failed.append(f"{record.key}: a record it refers to is missing")
            return
        collection = record.collection.format_map(self.ids)
        lookup = {k: str(_resolve(v, self.ids)) for k, v in record.lookup.items()}
        found = self._find(record, collection, lookup)
        if found is None:
            return
        if not found and record.made_by_event_within:
            found = self._await(record, collection, lookup)
            if found is None:
                return
        if found:
            self.report.existing.append(record.key)
            state = found[0]
        else:
            created = self._create(record, collection)
            if created is None:
                return
            self.report.created.append(record.key)
            state = created
        self.ids[record.key] = str(state["id"])
        self._take_steps(record, state)

    def _find(
        self, record: DemoRecord, collection: str, lookup: Mapping[str, str]
    ) -> list[dict[str, Any]] | None:
        """The listed items matching ``lookup``; None when the lookup itself failed."""
        params = dict(lookup)
        for _ in range(MAX_LOOKUP_PAGES):
            found = self.client.get(collection, params=params, headers=self._headers(record.role))
            if found.status_code in (404, 405):
                self.report.not_served.append(record.key)
                return None
            if found.status_code != 200:
                self.report.failed.append(
                    f"{record.key}: looking it up answered {found.status_code}"
                )
                return None
            page = found.json()
            matching = [item for item in page.get("items", []) if _matches(item, lookup)]
            if matching or not page.get("next_cursor"):
                return matching
            params["cursor"] = page["next_cursor"]
        return []

    def _await(
        self, record: DemoRecord, collection: str, lookup: Mapping[str, str]
    ) -> list[dict[str, Any]] | None:
        deadline = time.monotonic() + record.made_by_event_within
        while time.monotonic() < deadline:
            time.sleep(0.5)
            found = self._find(record, collection, lookup)
            if found is None or found:
                return found
        self.report.failed.append(f"{record.key}: the event that makes it did not arrive")
        return None

    def _create(self, record: DemoRecord, collection: str) -> dict[str, Any] | None:
        body = _resolve(record.body, self.ids)
        deadline = time.monotonic() + record.retry_for
        attempt = 0
        while True:
            # A 422 is remembered under its Idempotency-Key: a retry needs a key of its own.
            key = f"demo-{record.key}" + (f"-retry-{attempt}" if attempt else "")
            created = self.client.post(
                collection, json=body, headers=self._headers(record.role, key)
            )
            if created.status_code in (200, 201):
                return dict(created.json())
            if created.status_code != 422 or time.monotonic() >= deadline:
                self.report.failed.append(
                    f"{record.key}: {created.status_code} {created.text[:200]}"
                )
                return None
            attempt += 1
            time.sleep(0.5)

    def _take_steps(self, record: DemoRecord, state: dict[str, Any]) -> None:
        for number, step in enumerate(record.steps, start=1):
            if not _matches(state, step.when) or not all(k in state for k in step.when):
                continue
            answer = self.client.request(
                step.method,
                step.path.format_map({**self.ids, "id": self.ids[record.key]}),
                json=None if step.body is None else _resolve(step.body, self.ids),
                headers=self._headers(step.role, f"demo-{record.key}-step-{number}"),
            )
            if answer.status_code not in (200, 201):
                self.report.failed.append(
                    f"{record.key} {step.name}: {answer.status_code} {answer.text[:200]}"
                )
                return
            self.report.steps_taken.append(f"{record.key} {step.name}")
            state = {**state, **answer.json()}


def load_demo_data(
    gateway_url: str,
    tokens: Mapping[str, str],
    records: Sequence[DemoRecord] = DEMO_RECORDS,
    timeout: float = 10.0,
) -> DemoReport:
    with httpx.Client(base_url=gateway_url, timeout=timeout) as client:
        loader = _Loader(client, tokens)
        for record in records:
            loader.load(record)
    return loader.report
