"""The order rule, for every kind of decision: an event delivered again after later ones of
its resource neither closes nor reopens anything, and a decision that arrives before its
request leaves an item already done, mailed to nobody."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tread_inbox.mail.sender import send_due_mails
from tread_shared.clock import utcnow
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import actionplans as plans
from tread_shared.events.payloads import contracts as con
from tread_shared.events.payloads import market_intel as mi
from tread_shared.events.registry import EventPayload
from tread_shared.testing.http import Caller


@dataclass
class Life:
    """One resource waiting for decisions, as its service announces it: a request at a
    version, a decision at a later one (events built once, so that a redelivery carries the
    same payload)."""

    kind: str
    subject: uuid.UUID
    recipient: str  # the caller the item is for
    decider: str
    sources: Any
    account_id: uuid.UUID

    def request(self, version: int, at: datetime) -> EventPayload:
        s, account, subject = self.sources, self.account_id, self.subject
        if self.kind == "offer_approval":
            fields = s.offer(account, subject, revision=version, offer_version=version)
            return con.OfferSubmitted(
                **fields,
                lines=[],
                requires_approval=True,
                discount_limit_pct=Decimal(10),
                submitted_by="am-1",
                submitted_at=at,
            )
        if self.kind == "facilitation_approval":
            fields = {**s.facilitation(account, subject), "facilitation_version": version}
            return con.FacilitationRequested(
                **fields,
                justification="Workshop training",
                requires_approval=True,
                requested_by="am-1",
                requested_at=at,
            )
        if self.kind == "plan_approval":
            plan = s.plan(account, plan_id=subject, plan_version=version)
            return plans.PlanSubmitted(plan=plan, submitted_by="am-1")
        if self.kind == "resource_request":
            request = s.resource_request(account).model_copy(
                update={"request_id": subject, "request_version": version}
            )
            return plans.ResourceRequestMade(request=request, justification="Two demo days")
        if self.kind == "case_assigned":
            case = s.case(
                account, case_id=subject, version=version, assignee_id="am-1", updated_at=at
            )
            return acc.CaseAssigned(case=case, assigned_by="dm-north")
        argument = s.argument(argument_id=subject)
        return mi.ArgumentSubmitted(argument=argument, submitted_by="dm-north", submitted_at=at)

    def decision(self, version: int, at: datetime) -> EventPayload:
        s, account, subject, by = self.sources, self.account_id, self.subject, self.decider
        if self.kind == "offer_approval":
            fields = s.offer(
                account, subject, revision=version - 1, offer_version=version, status="submitted"
            )
            return con.OfferApproved(**fields, approved_by=by, approved_at=at)
        if self.kind == "facilitation_approval":
            fields = {
                **s.facilitation(account, subject),
                "facilitation_version": version,
                "status": "granted",
            }
            return con.FacilitationGranted(**fields, granted_by=by, granted_at=at, automatic=False)
        if self.kind == "plan_approval":
            plan = s.plan(account, plan_id=subject, plan_version=version, status="draft")
            return plans.PlanRejected(plan=plan, rejected_by=by, reason="No budget line")
        if self.kind == "resource_request":
            request = s.resource_request(account).model_copy(
                update={"request_id": subject, "request_version": version, "status": "rejected"}
            )
            return plans.ResourceRequestDecided(request=request, decided_by=by)
        if self.kind == "case_assigned":
            case = s.case(account, case_id=subject, version=version, status="resolved")
            case = case.model_copy(update={"assignee_id": "am-1", "updated_at": at})
            return acc.CaseStatusChanged(case=case, previous_status="open", changed_by=by)
        argument = s.argument(argument_id=subject)
        return mi.ArgumentSentBack(argument=argument, sent_back_by=by, sent_back_at=at)


# kind: (who the item is for, who decides)
KINDS = {
    "offer_approval": ("dm", "dm-north"),
    "facilitation_approval": ("kam", "kam-1"),
    "plan_approval": ("dm", "dm-north"),
    "resource_request": ("dm", "dm-north"),
    "case_assigned": ("am", "central-1"),
    "argument_validation": ("central", "central-2"),
}
# The kinds whose resource asks again after a decision: a new revision, a plan submitted again,
# a case reassigned, an argument submitted again.
ASKING_AGAIN = ("offer_approval", "plan_approval", "case_assigned", "argument_validation")


async def life_of(kind: str, sources: Any) -> Life:
    recipient, decider = KINDS[kind]
    account_id = await sources.open(name="Huadong Tyres")
    return Life(kind, uuid.uuid4(), recipient, decider, sources, account_id)


async def mails_sent(app: FastAPI, settings: Any) -> dict[str, int]:
    return await send_due_mails(app.state.runtime.db, settings, utcnow())


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_decision_before_its_request_leaves_the_late_request_done_and_unmailed(
    kind: str,
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    inbox: Any,
    callers: dict[str, Caller],
) -> None:
    life = await life_of(kind, sources)
    recipient = callers[life.recipient]
    body = {"email": "someone@example.com", "default": "off", "kinds": {kind: "immediate"}}
    answer = await client.put("/v1/inbox/preferences", json=body, headers=recipient.headers)
    assert answer.status_code == 200, answer.text
    asked = utcnow() - timedelta(seconds=5)
    request, decision = life.request(1, asked), life.decision(2, asked + timedelta(seconds=1))

    await sources.send(decision, life.subject)
    assert await inbox.items(recipient) == []
    # The request, redelivered after the decision it had: nothing waits, nobody is mailed.
    await sources.send(request, life.subject)
    [item] = await inbox.items(recipient)
    assert (item["kind"], item["state"], item["done_by"]) == (kind, "done", life.decider)
    assert await inbox.get("/v1/inbox/counts", recipient) == {"total": 0, "by_kind": {}}
    assert await mails_sent(app, settings) == {"sent": 0, "failed": 0}

    # Both again, in either order: still that one item, done.
    await sources.send(decision, life.subject)
    await sources.send(request, life.subject)
    assert [(i["id"], i["state"]) for i in await inbox.items(recipient)] == [(item["id"], "done")]


@pytest.mark.parametrize("kind", list(KINDS))
async def test_older_events_delivered_again_change_nothing(
    kind: str, sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    life = await life_of(kind, sources)
    recipient = callers[life.recipient]
    start = utcnow() - timedelta(seconds=10)
    request = life.request(1, start)
    decision = life.decision(2, start + timedelta(seconds=1))
    await sources.send(request, life.subject)
    [first] = await inbox.items(recipient)
    assert first["state"] == "unread"
    await sources.send(decision, life.subject)
    waiting: list[str] = []
    if kind in ASKING_AGAIN:
        await sources.send(life.request(3, start + timedelta(seconds=2)), life.subject)
        newer, _ = await inbox.holding(recipient, 2)
        assert newer["state"] == "unread"
        waiting = [newer["id"]]
    before = {i["id"]: (i["state"], i["done_by"]) for i in await inbox.items(recipient)}
    assert before[first["id"]] == ("done", life.decider)

    # The old request and the old decision, delivered again after what came since.
    await sources.send(request, life.subject)
    await sources.send(decision, life.subject)
    after = {i["id"]: (i["state"], i["done_by"]) for i in await inbox.items(recipient)}
    assert after == before
    unread = await inbox.items(recipient, state="unread")
    assert [i["id"] for i in unread] == waiting
    counts = await inbox.get("/v1/inbox/counts", recipient)
    assert counts["total"] == len(waiting)
