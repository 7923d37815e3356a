"""Fixtures of the reporting suite: the service running in-process on a fresh database and this
test's own stream, producers that publish the accounts and contracts services' real events
(payload classes from ``tread_shared``), and callers of each role."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.aio.client import Client

from tread_reporting import MIGRATIONS_DIR
from tread_reporting.app import create_app
from tread_reporting.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import contracts as con
from tread_shared.events.payloads import market_intel as mi
from tread_shared.events.registry import EventPayload
from tread_shared.money import Money, SignedMoney
from tread_shared.testing.http import Caller
from tread_shared.testing.service_fixtures import service_fixtures

_numbers = itertools.count(1)
CNY = "CNY"


def cny(amount: str | int) -> Money:
    return Money.of(amount, CNY)


class Producers:
    """Plays the accounts and contracts services: publishes their events, built with their
    payload classes, into the test's stream with ``Nats-Msg-Id`` as their relays do. After each
    publish, ``wait_applied(sequence)`` (if given) waits until reporting has applied it."""

    def __init__(
        self,
        nats_url: str,
        subject_root: str,
        wait_applied: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.nats_url = nats_url
        self.subject_root = subject_root
        self.wait_applied = wait_applied
        self.accounts: dict[uuid.UUID, acc.AccountDirectoryEntry] = {}
        self._nc: Client | None = None

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.close()

    async def send(self, event: CloudEvent, *, msg_id: str | None = None, wait: bool = True) -> int:
        """Publish ``event`` as is; its stream sequence."""
        if self._nc is None:
            self._nc = await nats.connect(self.nats_url)
        ack = await self._nc.jetstream().publish(
            nats_subject_for(event.type, self.subject_root),
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": msg_id or event.id},
        )
        if wait and self.wait_applied is not None:
            await self.wait_applied(ack.seq)
        return ack.seq

    @staticmethod
    def event(payload: EventPayload, subject: uuid.UUID, at: datetime | None = None) -> CloudEvent:
        service = payload.service or "accounts"
        return CloudEvent(
            source=service,
            type=payload.event_type(service),
            subject=str(subject),
            time=at or utcnow(),
            data=payload.model_dump(mode="json"),
        )

    async def publish(
        self, payload: EventPayload, subject: uuid.UUID, *, wait: bool = True
    ) -> CloudEvent:
        event = self.event(payload, subject)
        await self.send(event, wait=wait)
        return event

    async def publish_at(
        self, at: datetime | None, payload: EventPayload, subject: uuid.UUID
    ) -> CloudEvent:
        """``payload`` as an event its service wrote at ``at`` (now when ``None``)."""
        event = self.event(payload, subject, at)
        await self.send(event)
        return event

    # -- accounts ---------------------------------------------------------------------------

    def next_entry(self, account_id: uuid.UUID, **changes: Any) -> acc.AccountDirectoryEntry:
        entry = self.accounts[account_id]
        entry = entry.model_copy(
            update={**changes, "version": entry.version + 1, "updated_at": utcnow()}
        )
        self.accounts[account_id] = entry
        return entry

    async def account(
        self,
        *,
        owner_id: str = "am-1",
        territory: str = "north",
        key_account_manager_id: str | None = None,
        status: str = "active",
        name: str | None = None,
        quadrant: str | None = None,
    ) -> uuid.UUID:
        number = next(_numbers)
        entry = acc.AccountDirectoryEntry(
            account_id=uuid.uuid4(),
            version=1,
            name=name or f"Dealer {number}",
            kind="dealer",
            status=status,
            territory=territory,
            owner_id=owner_id,
            key_account_manager_id=key_account_manager_id,
            segment="truck_dealer",
            erp_customer_id=f"ERP-{number}",
            quadrant=quadrant,
            updated_at=utcnow(),
        )
        self.accounts[entry.account_id] = entry
        await self.publish(acc.AccountCreated(account=entry), entry.account_id)
        return entry.account_id

    async def update_account(self, account_id: uuid.UUID, **changes: Any) -> None:
        entry = self.next_entry(account_id, **changes)
        await self.publish(
            acc.AccountUpdated(account=entry, changed_fields=sorted(changes)), account_id
        )

    async def reassign(self, account_id: uuid.UUID, owner_id: str) -> None:
        previous = self.accounts[account_id].owner_id
        entry = self.next_entry(account_id, owner_id=owner_id)
        await self.publish(
            acc.AccountReassigned(
                account=entry, previous_owner_id=previous, reason="portfolio", reassigned_by="dm-1"
            ),
            account_id,
        )

    @staticmethod
    def visit(account_id: uuid.UUID, minutes: int = 30) -> acc.ActivityLogged:
        """A visit logged now (a payload, to publish as is or to send twice)."""
        return acc.ActivityLogged(
            activity=acc.ActivitySnapshot(
                activity_id=uuid.uuid4(),
                account_id=account_id,
                version=1,
                type="visit",
                started_at=utcnow(),
                duration_minutes=minutes,
                performed_by="am-1",
                participant_count=1,
                updated_at=utcnow(),
            )
        )

    async def qualify(
        self,
        account_id: uuid.UUID,
        quadrant: str = "develop",
        *,
        visits: int = 12,
        hours: int = 30,
        budget: str = "6000.00",
    ) -> None:
        entry = self.next_entry(account_id, quadrant=quadrant)
        await self.publish(
            acc.AccountQualified(
                account=entry,
                qualification=acc.QualificationSnapshot(
                    quadrant=quadrant,
                    annual_volume_units=5000,
                    margin_potential=cny("100000.00"),
                    visits_per_year=visits,
                    hours_per_year=hours,
                    budget=cny(budget),
                ),
                qualified_by="am-1",
            ),
            account_id,
        )

    async def activity(
        self,
        account_id: uuid.UUID,
        *,
        type: str = "visit",
        started_at: datetime | None = None,
        minutes: int = 90,
        cost: str | None = "120.00",
        version: int = 1,
        activity_id: uuid.UUID | None = None,
        deleted: bool = False,
        status: str = "done",
    ) -> acc.ActivitySnapshot:
        snapshot = acc.ActivitySnapshot(
            activity_id=activity_id or uuid.uuid4(),
            account_id=account_id,
            version=version,
            type=type,
            started_at=started_at or utcnow() - timedelta(hours=1),
            duration_minutes=minutes,
            cost=cny(cost) if cost else None,
            performed_by=self.accounts[account_id].owner_id,
            participant_count=2,
            updated_at=utcnow(),
            status=status,  # type: ignore[arg-type]
        )
        payload: EventPayload
        if deleted:
            payload = acc.ActivityDeleted(activity=snapshot)
        elif version == 1:
            payload = acc.ActivityLogged(activity=snapshot)
        else:
            payload = acc.ActivityUpdated(activity=snapshot, changed_fields=["duration_minutes"])
        await self.publish(payload, snapshot.activity_id)
        return snapshot

    async def case(
        self,
        account_id: uuid.UUID,
        *,
        category: str = "credit",
        opened_at: datetime | None = None,
        due_in: timedelta = timedelta(days=2),
    ) -> acc.CaseSnapshot:
        opened = opened_at or utcnow()
        snapshot = acc.CaseSnapshot(
            case_id=uuid.uuid4(),
            account_id=account_id,
            version=1,
            category=category,
            priority="high",
            status="open",
            opened_by="am-1",
            source="user",
            opened_at=opened,
            due_at=opened + due_in,
            updated_at=opened,
        )
        await self.publish(acc.CaseOpened(case=snapshot), snapshot.case_id)
        return snapshot

    async def case_status(
        self, case: acc.CaseSnapshot, status: str, at: datetime | None = None
    ) -> acc.CaseSnapshot:
        changed = case.model_copy(
            update={"status": status, "version": case.version + 1, "updated_at": at or utcnow()}
        )
        await self.publish(
            acc.CaseStatusChanged(case=changed, previous_status=case.status, changed_by="c-1"),
            case.case_id,
        )
        return changed

    async def sell_in(
        self, account_id: uuid.UUID, month: str, units: int, product_line: str = "truck"
    ) -> None:
        await self.publish(
            acc.SellInRecorded(
                account_id=account_id,
                erp_customer_id=self.accounts[account_id].erp_customer_id or "",
                month=month,
                lines=[acc.SellInLine(product_line=product_line, units=units)],
                source_event_id=uuid.uuid4().hex,
            ),
            account_id,
        )

    async def credit(
        self, account_id: uuid.UUID, *, blocked: bool, at: datetime | None = None
    ) -> None:
        await self.publish(
            acc.CreditStatusChanged(
                account_id=account_id,
                erp_customer_id=self.accounts[account_id].erp_customer_id or "",
                credit_limit=cny("50000.00"),
                exposure=SignedMoney.of("42000.00", CNY),
                overdue_amount=cny("3000.00") if blocked else None,
                blocked=blocked,
                as_of=at or utcnow(),
                source_event_id=uuid.uuid4().hex,
            ),
            account_id,
        )

    # -- contracts --------------------------------------------------------------------------

    async def contract(
        self,
        account_id: uuid.UUID,
        *,
        tier: str = "gold",
        program_id: uuid.UUID | None = None,
        start: date | None = None,
        end: date | None = None,
        volume: int = 6000,
    ) -> con.ContractState:
        year = utcnow().year
        state = con.ContractState(
            contract_id=uuid.uuid4(),
            contract_version=1,
            account_id=account_id,
            program_id=program_id or PROGRAM_ID,
            program_name="Partner program",
            program_version=1,
            tier=tier,
            start_date=start or date(year, 1, 1),
            end_date=end or date(year, 12, 31),
            status="draft",
            commitments=[con.Commitment(kind="volume", period=str(year), quantity=volume)],
            rebate_pct=Decimal("2.5"),
            facilitation_budget=cny("10000.00"),
        )
        await self.publish(con.ContractCreated(contract=state, created_by="am-1"), account_id)
        return state

    @staticmethod
    def next_state(state: con.ContractState, **changes: Any) -> con.ContractState:
        return state.model_copy(update={**changes, "contract_version": state.contract_version + 1})

    async def submit(self, state: con.ContractState) -> con.ContractState:
        state = self.next_state(state, status="submitted")
        await self.publish(
            con.ContractSubmitted(contract=state, submitted_at=utcnow(), submitted_by="am-1"),
            state.contract_id,
        )
        return state

    async def sign(
        self, state: con.ContractState, party: str, at: datetime | None = None
    ) -> con.ContractState:
        signature = con.SignatureRecord(
            party=party,  # type: ignore[arg-type]
            signer_name="Li Wei" if party == "customer" else "Zhang Min",
            signer_role="owner" if party == "customer" else "district manager",
            method="e-signature",
            document_sha256="a" * 64,
            signed_at=at or utcnow(),
            recorded_by="am-1",
        )
        status = "signed" if party == "customer" else state.status
        state = self.next_state(state, status=status, signatures=[*state.signatures, signature])
        await self.publish(
            con.ContractSigned(contract=state, signature=signature), state.contract_id
        )
        return state

    async def activate(
        self, state: con.ContractState, at: datetime | None = None
    ) -> con.ContractState:
        state = self.next_state(state, status="active")
        await self.publish(
            con.ContractActivated(contract=state, activated_at=at or utcnow()), state.contract_id
        )
        return state

    async def active_contract(self, account_id: uuid.UUID, **fields: Any) -> con.ContractState:
        """Created, submitted, signed by both parties, active."""
        state = await self.contract(account_id, **fields)
        state = await self.submit(state)
        state = await self.sign(state, "customer")
        state = await self.sign(state, "manufacturer")
        return await self.activate(state)

    async def terminate(
        self, state: con.ContractState, reason: str = "breach"
    ) -> con.ContractState:
        previous = state.status
        state = self.next_state(state, status="terminated")
        await self.publish(
            con.ContractTerminated(
                contract=state,
                previous_status=previous,
                reason=reason,
                terminated_at=utcnow(),
                terminated_by="dm-1",
            ),
            state.contract_id,
        )
        return state

    async def audit(
        self, state: con.ContractState, scores: dict[str, int], required: dict[str, int]
    ) -> con.AuditCompleted:
        gaps = [
            con.AuditGap(criterion=c, score=scores.get(c), required=r)
            for c, r in required.items()
            if scores.get(c, 0) < r
        ]
        payload = con.AuditCompleted(
            audit_id=uuid.uuid4(),
            account_id=state.account_id,
            contract_id=state.contract_id,
            program_id=state.program_id,
            program_version=1,
            tier=state.tier,
            performed_at=utcnow(),
            auditor="auditor-1",
            scores=[con.CriterionScore(criterion=c, score=s) for c, s in scores.items()],
            overall_score=Decimal(sum(scores.values())) / len(scores),
            gaps=gaps,
            recorded_by="am-1",
        )
        await self.publish(payload, payload.audit_id)
        return payload

    async def facilitation(
        self,
        state: con.ContractState,
        amount: str,
        *,
        granted: bool = True,
        spent: str | None = None,
    ) -> uuid.UUID:
        facilitation_id = uuid.uuid4()
        common: dict[str, Any] = {
            "facilitation_id": facilitation_id,
            "account_id": state.account_id,
            "guideline_id": GUIDELINE_ID,
            "guideline_type": "marketing_fund",
            "contract_id": state.contract_id,
            "tier": state.tier,
            "year": utcnow().year,
            "amount": cny(amount),
        }

        def balance(granted_amount: str, spent_amount: str = "0") -> con.FacilitationBalance:
            return con.FacilitationBalance(
                cap=cny("5000"),
                requested=cny(amount),
                granted=cny(granted_amount),
                spent=cny(spent_amount),
                remaining=cny(Decimal("5000") - Decimal(granted_amount)),
            )

        await self.publish(
            con.FacilitationRequested(
                **common,
                facilitation_version=1,
                status="pending_approval",
                balance=balance("0"),
                justification="spring campaign",
                requires_approval=True,
                requested_by="am-1",
                requested_at=utcnow(),
            ),
            facilitation_id,
        )
        if not granted:
            await self.publish(
                con.FacilitationRejected(
                    **common,
                    facilitation_version=2,
                    status="rejected",
                    balance=balance("0"),
                    rejected_by="kam-1",
                    rejected_at=utcnow(),
                    reason="over budget",
                ),
                facilitation_id,
            )
            return facilitation_id
        await self.publish(
            con.FacilitationGranted(
                **common,
                facilitation_version=2,
                status="granted",
                balance=balance(amount),
                granted_by="kam-1",
                granted_at=utcnow(),
                automatic=False,
            ),
            facilitation_id,
        )
        if spent is not None:
            await self.publish(
                con.FacilitationSpent(
                    **common,
                    facilitation_version=3,
                    status="granted",
                    balance=balance(amount, spent),
                    spent=cny(spent),
                    spent_total=cny(spent),
                    spent_on=utcnow().date(),
                    description="posters",
                    recorded_by="am-1",
                ),
                facilitation_id,
            )
        return facilitation_id

    async def compliance(
        self, state: con.ContractState, overall: str, at: datetime | None = None
    ) -> None:
        await self.publish(
            con.ComplianceChanged(
                contract_id=state.contract_id,
                account_id=state.account_id,
                program_id=state.program_id,
                tier=state.tier,
                overall=overall,  # type: ignore[arg-type]
                previous_overall=None,
                items=[],
                as_of=(at or utcnow()).date(),
                evaluated_at=at or utcnow(),
            ),
            state.contract_id,
        )

    # -- market-intel -----------------------------------------------------------------------

    MARKET_CODE = "TR-315/80R22.5-XMD"

    async def observation(
        self,
        territory: str,
        kind: str,
        competitor: str,
        at: datetime,
        *,
        outlier: bool = False,
        recorded_at: datetime | None = None,
    ) -> None:
        """An observation seen at ``at``, recorded by market-intel at ``recorded_at`` (now)."""
        observation_id = uuid.uuid4()
        await self.publish_at(
            recorded_at,
            mi.ObservationRecorded(
                observation_id=observation_id,
                kind=kind,
                territory=territory,
                account_id=None,
                product_code=self.MARKET_CODE,
                competitor=competitor,
                competitor_product_id=None,
                observed_price=Money.of("2300.00", "CNY"),
                observed_at=at,
                confidence="high",
                outlier=outlier,
                recorded_by="am-1",
            ),
            observation_id,
        )

    async def market_story(self, at: datetime, recorded_at: datetime | None = None) -> str:
        """A product of the X Multi range; three prices in the north (one an outlier), a
        promotion in the south, all seen at ``at`` (recorded at ``recorded_at``, now); the
        north's index crossing above the band in that month (returned)."""
        product_id = uuid.uuid4()
        state = mi.ProductState(
            product_id=product_id,
            code=self.MARKET_CODE,
            kind="tyre",
            brand="Tread",
            range="X Multi",
            name="X Multi D",
            status="active",
            product_version=1,
        )
        await self.publish(mi.ProductCreated(product=state, changed_by="central-1"), product_id)
        for territory, kind, competitor, outlier in (
            ("north", "competitor_price", "Rival", False),
            ("north", "competitor_price", "Rival", False),
            ("north", "competitor_price", "Cheapo", True),
            ("south", "competitor_promotion", "Rival", False),
        ):
            await self.observation(
                territory, kind, competitor, at, outlier=outlier, recorded_at=recorded_at
            )
        month = at.strftime("%Y-%m")
        await self.crossing(month, ("99.0", "within"), ("112.5", "above"), 2, recorded_at)
        return month

    async def crossing(
        self,
        month: str,
        before: tuple[str, str],
        after: tuple[str, str],
        observations: int,
        recorded_at: datetime | None = None,
    ) -> None:
        """The north's price index of the product in ``month`` moved from ``before`` to
        ``after`` (index, band), across the 90 to 110 band."""
        await self.publish_at(
            recorded_at,
            mi.PricePositioningChanged(
                product_code=self.MARKET_CODE,
                territory="north",
                month=month,
                index=Decimal(after[0]),
                previous_index=Decimal(before[0]),
                band=after[1],
                previous_band=before[1],
                band_low=Decimal(90),
                band_high=Decimal(110),
                observations=observations,
            ),
            uuid.uuid4(),
        )

    async def partnership_history(self) -> dict[str, uuid.UUID]:
        """A month of partnership life: signatures, a renewal, a termination, audits,
        facilitations, sell-in and cases."""
        signed = await self.account(name="Signed Dealer")
        signed_contract = await self.active_contract(signed, tier="gold", volume=12000)
        await self.sell_in(signed, utcnow().strftime("%Y-%m"), 1500)
        await self.audit(signed_contract, {"LP1": 60, "LP2": 65}, {"LP1": 70, "LP2": 60})
        await self.facilitation(signed_contract, "1500.00", spent="300.00")

        ended = await self.account(name="Ended Dealer", territory="south", owner_id="am-2")
        await self.terminate(await self.active_contract(ended, tier="silver"), "closed shop")

        renewed = await self.account(name="Renewed Dealer")
        old = await self.active_contract(renewed, tier="silver")
        new = await self.active_contract(renewed, tier="gold")
        old_renewed = self.next_state(old, status="renewed")
        await self.publish(
            con.ContractRenewed(
                contract=old_renewed,
                renewed_by_contract_id=new.contract_id,
                renewal_start_date=new.start_date,
                renewal_end_date=new.end_date,
                renewed_at=utcnow(),
            ),
            old.contract_id,
        )
        await self.facilitation(new, "800.00", granted=False)
        case = await self.case(signed, category="credit", opened_at=utcnow() - timedelta(hours=1))
        await self.case_status(case, "resolved")
        await self.case(
            renewed,
            category="supply",
            opened_at=utcnow() - timedelta(hours=1),
            due_in=timedelta(minutes=30),
        )
        return {"signed": signed, "ended": ended, "renewed": renewed}


PROGRAM_ID = uuid.UUID("01900000-0000-7000-8000-000000000001")
GUIDELINE_ID = uuid.UUID("01900000-0000-7000-8000-000000000002")


def in_process_waiter(app: FastAPI) -> Callable[[int], Awaitable[None]]:
    """Waits until the running app's consumer has handled the stream sequence."""

    async def wait(sequence: int) -> None:
        consumer = app.state.runtime.consumers[0]
        for _ in range(400):
            if consumer.last_stream_seq >= sequence:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"reporting did not apply stream sequence {sequence} in time")

    return wait


# The central-report job is driven by the tests themselves.
settings_overrides, settings, app, client = service_fixtures(
    Settings, MIGRATIONS_DIR, create_app, central_reports_enabled=False
)


@pytest.fixture
async def producers(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient
) -> AsyncIterator[Producers]:
    # Depends on ``client`` so that the service (and its consumer) is running.
    await app.state.runtime.broker.wait_ready()
    feed = Producers(settings.nats_url, settings.nats_subject_root, in_process_waiter(app))
    yield feed
    await feed.close()


@pytest.fixture
def caller(token_factory: Callable[..., str]) -> Callable[..., Caller]:
    def make(*roles: str, sub: str, territories: list[str] | None = None) -> Caller:
        token = token_factory(*roles, sub=sub, territories=territories or [])
        return Caller(sub=sub, headers={"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def callers(caller: Callable[..., Caller]) -> dict[str, Caller]:
    """``am`` owns the accounts producers open by default (territory north)."""
    return {
        "am": caller("account_manager", sub="am-1"),
        "other_am": caller("account_manager", sub="am-2"),
        "dm": caller("district_manager", sub="dm-north", territories=["north"]),
        "other_dm": caller("district_manager", sub="dm-south", territories=["south"]),
        "kam": caller("key_account_manager", sub="kam-1"),
        "central": caller("central", sub="central-1"),
        "admin": caller("admin", sub="admin-1"),
        "integration": caller("integration", sub="billing-system"),
    }


def at_utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def process_env(settings: Settings) -> dict[str, str]:
    """The environment of a reporting process with ``settings``."""
    names = (
        "database_url",
        "nats_url",
        "nats_stream",
        "nats_subject_root",
        "jwt_public_key",
        "consumer_heartbeat_seconds",
        "relay_poll_seconds",
        "central_reports_enabled",
        "rebuild_cleanup_delay_seconds",
        "log_json",
    )
    return {f"REPORTING_{name.upper()}": str(getattr(settings, name)) for name in names} | {
        "REPORTING_CONSUMER_BACKOFF_SECONDS": "[0.05, 0.1, 0.2]",
        # A killed process's unacknowledged deliveries come again after this.
        "REPORTING_CONSUMER_ACK_WAIT_SECONDS": "2",
    }


def http_waiter(base_url: str, token: str) -> Callable[[int], Awaitable[None]]:
    """Waits until the reporting process at ``base_url`` has applied the stream sequence."""

    async def wait(sequence: int) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
            for _ in range(600):
                lag = await client.get(
                    "/v1/reports/lag", headers={"Authorization": f"Bearer {token}"}
                )
                body = lag.json() if lag.status_code == 200 else {}
                if body and body["as_of"]["sequence"] >= sequence and body["behind"] == 0:
                    return
                await asyncio.sleep(0.02)
        raise AssertionError(f"reporting did not apply stream sequence {sequence} in time")

    return wait


@pytest.fixture
def kit() -> SimpleNamespace:
    """What tests in sub-folders may need from here beyond fixtures."""
    return SimpleNamespace(Producers=Producers, http_waiter=http_waiter, process_env=process_env)
