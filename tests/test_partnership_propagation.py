"""A partnership taken through the contracts service (real process) shows in reporting (real
process) within a second of each step, carried only by events over the real broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from tread_contracts import MIGRATIONS_DIR as CONTRACTS_MIGRATIONS
from tread_contracts.settings import Settings as ContractsSettings
from tread_reporting import MIGRATIONS_DIR as REPORTING_MIGRATIONS
from tread_reporting.settings import Settings as ReportingSettings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads.accounts import AccountCreated, AccountDirectoryEntry
from tread_shared.settings import ServiceSettings
from tread_shared.testing.processes import ServiceProcess

pytestmark = pytest.mark.slow
PROPAGATION_SECONDS = 1.0


def env_of(settings: ServiceSettings, **extra: str) -> dict[str, str]:
    prefix = str(settings.model_config.get("env_prefix"))
    names = (
        "database_url",
        "nats_url",
        "nats_stream",
        "nats_subject_root",
        "jwt_public_key",
        "consumer_heartbeat_seconds",
        "relay_poll_seconds",
        "log_json",
    )
    values = {name: str(getattr(settings, name)) for name in names} | extra
    return {f"{prefix}{name.upper()}": value for name, value in values.items()}


@pytest.fixture
def services(
    make_settings: Callable[..., Any], tmp_path: Path
) -> Iterator[tuple[ServiceProcess, ServiceProcess, ServiceSettings]]:
    contracts_settings = make_settings(ContractsSettings, CONTRACTS_MIGRATIONS)
    reporting_settings = make_settings(ReportingSettings, REPORTING_MIGRATIONS)
    contracts = ServiceProcess(
        "tread_contracts",
        env_of(contracts_settings, schedule_enabled="false"),
        tmp_path / "contracts.log",
    )
    reporting = ServiceProcess(
        "tread_reporting",
        env_of(reporting_settings, central_reports_enabled="false"),
        tmp_path / "reporting.log",
    )
    contracts.start()
    reporting.start()
    try:
        yield contracts, reporting, reporting_settings
    finally:
        contracts.stop()
        reporting.stop()


async def open_account(settings: ServiceSettings) -> uuid.UUID:
    """As the accounts service would: its event, into the stream."""
    entry = AccountDirectoryEntry(
        account_id=uuid.uuid4(),
        version=1,
        name="Huatai Tyres",
        kind="dealer",
        status="active",
        territory="north",
        owner_id="am-1",
        key_account_manager_id="kam-1",
        segment="truck_dealer",
        erp_customer_id="C-1001",
        updated_at=utcnow(),
    )
    payload = AccountCreated(account=entry)
    event = CloudEvent(
        source="accounts",
        type=payload.event_type(),
        subject=str(entry.account_id),
        data=payload.model_dump(mode="json"),
    )
    nc = await nats.connect(settings.nats_url)
    try:
        await nc.jetstream().publish(
            nats_subject_for(event.type, settings.nats_subject_root),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.id},
        )
    finally:
        await nc.close()
    return entry.account_id


async def until(check: Callable[[], Any], seconds: float) -> float:
    """Seconds until ``await check()`` is true; fails after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.01)
    raise AssertionError(f"not visible within {seconds}s")


async def test_each_step_of_a_partnership_reaches_reporting_within_a_second(
    services: tuple[ServiceProcess, ServiceProcess, ServiceSettings],
    token_factory: Callable[..., str],
) -> None:
    contracts, reporting, settings = services

    def bearer(role: str, sub: str, territories: list[str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_factory(role, sub=sub, territories=territories)}"}

    am = bearer("account_manager", "am-1")
    dm = bearer("district_manager", "dm-north", ["north"])
    central = bearer("central", "central-1")
    account_id = await open_account(settings)
    year = utcnow().year  # in force once countersigned (next year's would be scheduled)

    async with (
        httpx.AsyncClient(base_url=contracts.base_url, timeout=10) as to_contracts,
        httpx.AsyncClient(base_url=reporting.base_url, timeout=10) as to_reporting,
    ):

        async def partnership() -> dict[str, Any]:
            answer = await to_reporting.get(f"/v1/reports/partnerships/{account_id}", headers=am)
            return answer.json() if answer.status_code == 200 else {}

        program = await to_contracts.post(
            "/v1/programs",
            json={
                "name": "Premium dealers",
                "tiers": [
                    {
                        "code": "gold",
                        "min_annual_volume": 5000,
                        "min_scores": {"LP1": 70, "LP2": 60},
                        "rebate_pct": "2.5",
                        "facilitation_budget": {"amount": "10000.00", "currency": "CNY"},
                    }
                ],
            },
            headers=central,
        )
        assert program.status_code == 201, program.text
        body = {
            "account_id": str(account_id),
            "program_id": program.json()["id"],
            "tier": "gold",
            "start_date": f"{year}-01-01",
            "end_date": f"{year}-12-31",
            "commitments": [{"kind": "volume", "period": str(year), "quantity": 6000}],
        }
        for _ in range(200):  # until the contracts service's directory knows the account
            draft = await to_contracts.post("/v1/contracts", json=body, headers=am)
            if draft.status_code != 404:
                break
            await asyncio.sleep(0.05)
        assert draft.status_code == 201, draft.text
        contract_id = draft.json()["id"]

        async def status_is(wanted: str) -> bool:
            return (await partnership()).get("contract_status") == wanted

        await until(lambda: status_is("draft"), PROPAGATION_SECONDS * 5)
        submitted = await to_contracts.post(f"/v1/contracts/{contract_id}/submit", headers=am)
        assert submitted.status_code == 200, submitted.text
        assert await until(lambda: status_is("submitted"), PROPAGATION_SECONDS) < 1.0
        for party, caller in (("customer", am), ("manufacturer", dm)):
            signed = await to_contracts.post(
                f"/v1/contracts/{contract_id}/sign",
                json={
                    "party": party,
                    "signer_name": "Li Wei",
                    "signer_role": "owner",
                    "method": "e-signature",
                    "document_sha256": "a" * 64,
                },
                headers=caller,
            )
            assert signed.status_code == 200, signed.text

        elapsed = await until(lambda: status_is("active"), PROPAGATION_SECONDS)
        shown = await partnership()
        assert elapsed < PROPAGATION_SECONDS
        assert shown["tier"] == "gold"
        assert {s["party"] for s in shown["contract"]["signatures"]} == {
            "customer",
            "manufacturer",
        }
        assert shown["renewal_due"] == f"{year}-12-31"

        audit = await to_contracts.post(
            "/v1/audits",
            json={
                "account_id": str(account_id),
                "contract_id": contract_id,
                "performed_at": utcnow().isoformat(),
                "auditor": "auditor-1",
                "scores": [
                    {"criterion": "LP1", "score": 55, "evidence": "photos"},
                    {"criterion": "LP2", "score": 80, "evidence": "photos"},
                ],
            },
            headers=am,
        )
        assert audit.status_code == 201, audit.text

        async def audited() -> bool:
            latest = (await partnership()).get("latest_audit")
            return latest is not None and latest["audit_id"] == audit.json()["id"]

        assert await until(audited, PROPAGATION_SECONDS) < PROPAGATION_SECONDS
        gaps = (await partnership())["open_gaps"]
        assert gaps == [{"criterion": "LP1", "score": 55, "required": 70}]
