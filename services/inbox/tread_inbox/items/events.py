"""One handler per event that makes or closes items. Each names its item by a key made of
what caused it, so a replay (or the same event redelivered past the consumer's inbox) makes
nothing twice. The events of a resource waiting for decisions are steps of that resource, all
applied by one order rule (``decisions.py``): decisions close on the event of the decision,
whoever took it, and an event arriving after later ones changes nothing it should not."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.decisions import Step, apply_step
from tread_inbox.items.service import ItemDraft, record_item
from tread_shared.auth.principal import Role
from tread_shared.events.consumer import Handler
from tread_shared.events.envelope import CloudEvent
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import actionplans as plans
from tread_shared.events.payloads import contracts as con
from tread_shared.events.payloads import market_intel as mi
from tread_shared.events.registry import EventPayload

P = TypeVar("P", bound=EventPayload)

AM, KAM, DM, CENTRAL = (
    Role.ACCOUNT_MANAGER,
    Role.KEY_ACCOUNT_MANAGER,
    Role.DISTRICT_MANAGER,
    Role.CENTRAL,
)
PORTFOLIO = frozenset({AM, KAM, DM})
CASE_CLOSED = ("resolved", "closed")


class Items:
    """What a handler needs: the session of the event's transaction and where links point."""

    def __init__(self, session: AsyncSession, event: CloudEvent, public_url: str) -> None:
        self.session = session
        self.event = event
        self.public_url = public_url

    async def account_name(self, account_id: uuid.UUID | None) -> str:
        if account_id is None:
            return "no account"
        entry = await self.session.get(AccountDirectory, account_id)
        return entry.name if entry is not None else f"account {account_id}"

    async def add(self, draft: ItemDraft) -> None:
        await record_item(self.session, draft, self.public_url)

    async def step(self, step: Step) -> None:
        await apply_step(self.session, step, self.public_url)


Apply = Callable[[Items, Any], Awaitable[None]]


# -- accounts ---------------------------------------------------------------------------------


async def case_assigned(items: Items, payload: acc.CaseAssigned | acc.CaseOpened) -> None:
    case = payload.case
    by = getattr(payload, "assigned_by", case.opened_by)
    draft = None
    if case.assignee_id is not None and case.status not in CASE_CLOSED:
        draft = await _case_assignment(items, case)
    # A new assignment replaces the one that was waiting.
    step = Step("case", case.case_id, "case_assigned", case.version, case.updated_at, by, draft)
    await items.step(step)


async def _case_assignment(items: Items, case: acc.CaseSnapshot) -> ItemDraft:
    name = await items.account_name(case.account_id)
    return ItemDraft(
        key=f"case-assigned:{case.case_id}:{case.version}",
        kind="case_assigned",
        title=f"A {case.priority} {case.category} case of {name} is assigned to you",
        reason="You are the case's assignee",
        resource_type="case",
        resource_id=case.case_id,
        resource_url=f"/v1/cases/{case.case_id}",
        since=items.event.time,
        account_id=case.account_id,
        recipient_id=case.assignee_id,
    )


async def case_status_changed(items: Items, payload: acc.CaseStatusChanged) -> None:
    case = payload.case
    if case.status in CASE_CLOSED:
        by = payload.changed_by
        await items.step(
            Step("case", case.case_id, "case_assigned", case.version, case.updated_at, by)
        )


async def case_escalated(items: Items, payload: acc.CaseEscalated) -> None:
    case = payload.case
    name = await items.account_name(case.account_id)
    await items.add(
        ItemDraft(
            key=f"case-escalated:{case.case_id}:{case.version}",
            kind="case_escalated",
            title=f"A {case.priority} {case.category} case of {name} passed its due time"
            " unresolved",
            reason="The account is in your portfolio or territory",
            resource_type="case",
            resource_id=case.case_id,
            resource_url=f"/v1/cases/{case.case_id}",
            since=case.escalated_at or items.event.time,
            account_id=case.account_id,
            roles=PORTFOLIO,
        )
    )


async def credit_status_changed(items: Items, payload: acc.CreditStatusChanged) -> None:
    if not payload.blocked or payload.previous_blocked:
        return
    name = await items.account_name(payload.account_id)
    await items.add(
        ItemDraft(
            key=f"credit-blocked:{payload.account_id}:{payload.source_event_id}",
            kind="credit_blocked",
            title=f"{name} is blocked for credit (exposure {payload.exposure.amount}"
            f" {payload.exposure.currency})",
            reason="The account is in your portfolio",
            resource_type="account",
            resource_id=payload.account_id,
            resource_url=f"/v1/accounts/{payload.account_id}",
            since=payload.as_of,
            account_id=payload.account_id,
            roles=frozenset({AM, KAM}),
        )
    )


# -- contracts --------------------------------------------------------------------------------


async def offer_submitted(items: Items, payload: con.OfferSubmitted) -> None:
    # A new revision replaces the one that was waiting.
    draft = await _offer_approval(items, payload) if payload.requires_approval else None
    await items.step(_offer_step(payload, payload.submitted_by, payload.submitted_at, draft))


def _offer_step(
    payload: con.OfferEvent, by: str, at: datetime, opens: ItemDraft | None = None
) -> Step:
    return Step("offer", payload.offer_id, "offer_approval", payload.offer_version, at, by, opens)


async def _offer_approval(items: Items, payload: con.OfferSubmitted) -> ItemDraft:
    name = await items.account_name(payload.account_id)
    return ItemDraft(
        key=f"offer-approval:{payload.offer_id}:{payload.revision}",
        kind="offer_approval",
        title=f"Offer to {name} at {payload.max_discount_pct}% discount, over the"
        f" {payload.discount_limit_pct}% limit, waits for your approval",
        reason="You are district manager of the account's territory",
        resource_type="offer",
        resource_id=payload.offer_id,
        resource_url=f"/v1/offers/{payload.offer_id}",
        since=payload.submitted_at,
        account_id=payload.account_id,
        roles=frozenset({DM}),
    )


def offer_decided(by: Callable[[Any], str], at: Callable[[Any], datetime]) -> Apply:
    async def apply(items: Items, payload: Any) -> None:
        await items.step(_offer_step(payload, by(payload), at(payload)))

    return apply


async def facilitation_requested(items: Items, payload: con.FacilitationRequested) -> None:
    draft = await _facilitation_approval(items, payload) if payload.requires_approval else None
    await items.step(_facilitation_step(payload, payload.requested_by, payload.requested_at, draft))


def _facilitation_step(
    payload: con.FacilitationEvent, by: str, at: datetime, opens: ItemDraft | None = None
) -> Step:
    return Step(
        "facilitation",
        payload.facilitation_id,
        "facilitation_approval",
        payload.facilitation_version,
        at,
        by,
        opens,
    )


async def _facilitation_approval(items: Items, payload: con.FacilitationRequested) -> ItemDraft:
    name = await items.account_name(payload.account_id)
    what = payload.guideline_type.replace("_", " ")
    return ItemDraft(
        key=f"facilitation-approval:{payload.facilitation_id}",
        kind="facilitation_approval",
        title=f"A {what} facilitation of {payload.amount.amount} {payload.amount.currency}"
        f" for {name}, over the guideline's threshold, waits for your approval",
        reason="You are the account's key account manager",
        resource_type="facilitation",
        resource_id=payload.facilitation_id,
        resource_url=f"/v1/facilitations/{payload.facilitation_id}",
        since=payload.requested_at,
        account_id=payload.account_id,
        roles=frozenset({KAM}),
    )


def facilitation_decided(by: Callable[[Any], str], at: Callable[[Any], datetime]) -> Apply:
    async def apply(items: Items, payload: Any) -> None:
        await items.step(_facilitation_step(payload, by(payload), at(payload)))

    return apply


async def renewal_due(items: Items, payload: con.ContractRenewalDue) -> None:
    contract = payload.contract
    name = await items.account_name(contract.account_id)
    await items.add(
        ItemDraft(
            # One per contract term: a contract already within both notice windows (90 and 30
            # days) is announced for both at once, and that is one thing to do.
            key=f"renewal-due:{contract.contract_id}:{contract.end_date}",
            kind="renewal_due",
            title=f"The {contract.program_name} contract of {name} ends on"
            f" {contract.end_date} ({payload.days_left} days): time to renew",
            reason="The account is in your portfolio or territory",
            resource_type="contract",
            resource_id=contract.contract_id,
            resource_url=f"/v1/contracts/{contract.contract_id}",
            since=payload.noticed_at,
            account_id=contract.account_id,
            roles=PORTFOLIO,
        )
    )


async def compliance_changed(items: Items, payload: con.ComplianceChanged) -> None:
    if payload.overall not in ("at_risk", "missed") or payload.overall == payload.previous_overall:
        return
    name = await items.account_name(payload.account_id)
    words = "is at risk" if payload.overall == "at_risk" else "missed its commitments"
    await items.add(
        ItemDraft(
            key=f"compliance:{payload.contract_id}:{payload.overall}:{payload.evaluated_at}",
            kind="compliance_at_risk",
            title=f"The contract of {name} ({payload.tier}) {words}",
            reason="The account is in your portfolio or territory",
            resource_type="contract",
            resource_id=payload.contract_id,
            resource_url=f"/v1/contracts/{payload.contract_id}/compliance",
            since=payload.evaluated_at,
            account_id=payload.account_id,
            roles=PORTFOLIO,
        )
    )


# -- action plans -----------------------------------------------------------------------------


async def plan_submitted(items: Items, payload: plans.PlanSubmitted) -> None:
    plan = payload.plan
    draft = ItemDraft(
        key=f"plan-approval:{plan.plan_id}:{plan.plan_version}",
        kind="plan_approval",
        title=f"The plan \u201c{plan.title}\u201d waits for your approval",
        reason="You approve the plans of your territory or key accounts",
        resource_type="plan",
        resource_id=plan.plan_id,
        resource_url=f"/v1/plans/{plan.plan_id}",
        since=items.event.time,
        account_id=plan.account_id,
        territory=plan.territory,
        roles=frozenset({DM, KAM}),
    )
    await items.step(_plan_step(items, plan, payload.submitted_by, draft))


def _plan_step(
    items: Items, plan: plans.PlanState, by: str, opens: ItemDraft | None = None
) -> Step:
    return Step(
        "plan", plan.plan_id, "plan_approval", plan.plan_version, items.event.time, by, opens
    )


def plan_decided(by: Callable[[Any], str]) -> Apply:
    async def apply(items: Items, payload: Any) -> None:
        await items.step(_plan_step(items, payload.plan, by(payload)))

    return apply


async def resource_requested(items: Items, payload: plans.ResourceRequestMade) -> None:
    request = payload.request
    unit = f" {request.currency}" if request.currency else ""
    draft = ItemDraft(
        key=f"resource-request:{request.request_id}",
        kind="resource_request",
        title=f"A request for {request.amount}{unit} of {request.kind} waits for your decision",
        reason="You are district manager of the plan's territory",
        resource_type="resource_request",
        resource_id=request.request_id,
        resource_url=f"/v1/resource-requests/{request.request_id}",
        since=items.event.time,
        account_id=request.account_id,
        territory=request.territory,
        roles=frozenset({DM}),
    )
    await items.step(_resource_step(items, request, request.requested_by, draft))


def _resource_step(
    items: Items, request: plans.ResourceRequestState, by: str, opens: ItemDraft | None = None
) -> Step:
    kind, version, at = "resource_request", request.request_version, items.event.time
    return Step("resource_request", request.request_id, kind, version, at, by, opens)


async def resource_decided(items: Items, payload: plans.ResourceRequestDecided) -> None:
    await items.step(_resource_step(items, payload.request, payload.decided_by))


async def deviation_opened(items: Items, payload: plans.DeviationOpened) -> None:
    deviation = payload.deviation
    period = f" in {deviation.period}" if deviation.period else ""
    await items.add(
        ItemDraft(
            key=f"deviation:{deviation.deviation_id}:{deviation.deviation_version}",
            kind="deviation_opened",
            title=f"A {deviation.severity} deviation ({deviation.origin}){period} opened on"
            " your plan",
            reason="You own the plan",
            resource_type="deviation",
            resource_id=deviation.deviation_id,
            resource_url=f"/v1/deviations/{deviation.deviation_id}",
            since=items.event.time,
            account_id=deviation.account_id,
            territory=deviation.territory,
            recipient_id=deviation.owner_id,
            roles=frozenset() if deviation.owner_id else frozenset({AM}),
        )
    )


async def action_overdue(items: Items, payload: plans.CorrectiveActionOverdue) -> None:
    action = payload.action
    await items.add(
        ItemDraft(
            key=f"action-overdue:{action.action_id}",
            kind="action_overdue",
            title=f"The corrective action \u201c{action.title}\u201d was due on"
            f" {action.due_on} ({payload.days_overdue} days ago)",
            reason="You own the action",
            resource_type="corrective_action",
            resource_id=action.action_id,
            resource_url=f"/v1/corrective-actions/{action.action_id}",
            since=items.event.time,
            account_id=action.account_id,
            territory=action.territory,
            recipient_id=action.owner_id,
        )
    )


# -- market intel -----------------------------------------------------------------------------


async def digest_issued(items: Items, payload: mi.DigestIssued) -> None:
    await items.add(
        ItemDraft(
            key=f"digest:{payload.digest_id}",
            kind="digest_issued",
            title=f"Your market digest of {payload.week}: {payload.observations} observations,"
            f" {payload.positioning_changes} price positioning changes",
            reason="You subscribed to it",
            resource_type="digest",
            resource_id=payload.digest_id,
            resource_url=payload.path,
            since=items.event.time,
            recipient_id=payload.subscriber_id,
        )
    )


def _argument_validation(argument: mi.ArgumentState, key: str, since: datetime) -> ItemDraft:
    usage = (argument.usage_type or "").replace("_", " ")
    what = " for ".join(part for part in (argument.product_code, usage) if part)
    about = f" ({what})" if what else ""
    return ItemDraft(
        key=f"argument-validation:{argument.argument_id}:{key}",
        kind="argument_validation",
        title=f"The selling argument \u201c{argument.title}\u201d{about} waits for validation",
        reason="Central validates the selling arguments",
        resource_type="argument",
        resource_id=argument.argument_id,
        resource_url=f"/v1/arguments/{argument.argument_id}",
        since=since,
        roles=frozenset({CENTRAL}),
    )


async def argument_submitted(items: Items, payload: mi.ArgumentSubmitted) -> None:
    argument = payload.argument
    # One per submission: an argument sent back and submitted again waits again, even
    # unchanged; the same event published twice carries the same time.
    draft = _argument_validation(argument, payload.submitted_at.isoformat(), payload.submitted_at)
    await items.step(_argument_step(argument, payload.submitted_by, payload.submitted_at, draft))


def _argument_step(
    argument: mi.ArgumentState, by: str, at: datetime, opens: ItemDraft | None = None
) -> Step:
    # The text version stays through a submission and its decision: the time orders them.
    version = argument.argument_version
    return Step("argument", argument.argument_id, "argument_validation", version, at, by, opens)


def argument_decided(by: Callable[[Any], str], at: Callable[[Any], datetime]) -> Apply:
    async def apply(items: Items, payload: Any) -> None:
        await items.step(_argument_step(payload.argument, by(payload), at(payload)))

    return apply


APPLY: dict[type[EventPayload], Apply] = {
    acc.CaseOpened: case_assigned,
    acc.CaseAssigned: case_assigned,
    acc.CaseStatusChanged: case_status_changed,
    acc.CaseEscalated: case_escalated,
    acc.CreditStatusChanged: credit_status_changed,
    con.OfferSubmitted: offer_submitted,
    con.OfferApproved: offer_decided(lambda p: p.approved_by, lambda p: p.approved_at),
    con.OfferRejected: offer_decided(lambda p: p.rejected_by, lambda p: p.rejected_at),
    con.OfferAccepted: offer_decided(lambda p: p.recorded_by, lambda p: p.accepted_at),
    con.OfferExpired: offer_decided(lambda p: p.expired_by, lambda p: p.expired_at),
    con.FacilitationRequested: facilitation_requested,
    con.FacilitationGranted: facilitation_decided(lambda p: p.granted_by, lambda p: p.granted_at),
    con.FacilitationRejected: facilitation_decided(
        lambda p: p.rejected_by, lambda p: p.rejected_at
    ),
    con.ContractRenewalDue: renewal_due,
    con.ComplianceChanged: compliance_changed,
    plans.PlanSubmitted: plan_submitted,
    plans.PlanApproved: plan_decided(lambda p: p.approved_by),
    plans.PlanRejected: plan_decided(lambda p: p.rejected_by),
    plans.ResourceRequestMade: resource_requested,
    plans.ResourceRequestDecided: resource_decided,
    plans.DeviationOpened: deviation_opened,
    plans.CorrectiveActionOverdue: action_overdue,
    mi.ArgumentSubmitted: argument_submitted,
    mi.ArgumentValidated: argument_decided(lambda p: p.validated_by, lambda p: p.validated_at),
    mi.ArgumentSentBack: argument_decided(lambda p: p.sent_back_by, lambda p: p.sent_back_at),
    mi.DigestIssued: digest_issued,
}


def item_handlers(public_url: str) -> dict[str, Handler]:
    """Consumer handlers, by event type, for every event that makes or closes items."""

    def handler_for(payload_type: type[EventPayload], apply: Apply) -> Handler:
        async def handle(session: AsyncSession, event: CloudEvent, _stream_seq: int) -> None:
            payload = payload_type.model_validate(event.data)
            await apply(Items(session, event, public_url), payload)

        return handle

    return {
        payload_type.event_type(): handler_for(payload_type, apply)
        for payload_type, apply in APPLY.items()
    }
