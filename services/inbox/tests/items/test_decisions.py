"""Decisions: an item for whoever must decide, in scope only, closed for everyone as soon as
anyone entitled decides; a replayed event makes nothing twice."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tread_shared.clock import utcnow
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import actionplans as plans
from tread_shared.events.payloads import contracts as con
from tread_shared.events.payloads import market_intel as mi
from tread_shared.testing.http import Caller


async def test_an_offer_over_the_limit_waits_for_the_district_manager_until_approved(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open(name="Huadong Tyres")
    offer_id = await sources.offer_submitted(account_id)

    [item] = await inbox.items(callers["dm"])
    assert item["kind"] == "offer_approval"
    assert item["category"] == "decision"
    assert item["state"] == "unread"
    assert item["resource_url"] == f"/v1/offers/{offer_id}"
    assert "Huadong Tyres" in item["title"] and "18" in item["title"]
    assert item["reason"] == "You are district manager of the account's territory"
    # Nobody else has to decide: not the submitter, not another district's manager.
    for other in ("am", "other_dm", "kam", "central", "admin"):
        assert await inbox.items(callers[other]) == [], other
    counts = await inbox.get("/v1/inbox/counts", callers["dm"])
    assert counts == {"total": 1, "by_kind": {"offer_approval": 1}}

    await sources.offer_approved(account_id, offer_id, by="dm-north")

    [done] = await inbox.items(callers["dm"])
    assert done["state"] == "done"
    assert done["done_by"] == "dm-north"
    assert done["position"] > item["position"]
    assert await inbox.get("/v1/inbox/counts", callers["dm"]) == {"total": 0, "by_kind": {}}
    assert await inbox.items(callers["dm"], state="unread") == []


async def test_an_offer_within_the_limit_asks_nobody(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    await sources.offer_submitted(account_id, requires_approval=False)
    assert await inbox.items(callers["dm"]) == []


async def test_a_replayed_event_makes_nothing_twice(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    offer_id = await sources.offer_submitted(account_id)
    [item] = await inbox.items(callers["dm"])
    # The producer's event again, under a new id (past JetStream's de-duplication and the
    # consumer's inbox): the item is the one already there.
    payload = con.OfferSubmitted.model_validate(
        {
            **sources.offer(account_id, offer_id),
            "lines": [],
            "requires_approval": True,
            "discount_limit_pct": "10",
            "submitted_by": "am-1",
            "submitted_at": item["since"],
        }
    )
    await sources.send(payload, offer_id)
    await sources.send(payload, offer_id)
    assert [i["id"] for i in await inbox.items(callers["dm"])] == [item["id"]]


async def test_a_resubmitted_offer_replaces_the_waiting_revision(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    offer_id = await sources.offer_submitted(account_id)
    await sources.offer_submitted(account_id, offer_id=offer_id, revision=2, offer_version=4)
    items = await inbox.items(callers["dm"])
    assert [i["state"] for i in items] == ["unread", "done"]


async def test_a_facilitation_over_the_threshold_waits_for_the_key_account_manager(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    facilitation_id = uuid.uuid4()
    fields = sources.facilitation(account_id, facilitation_id)
    await sources.send(
        con.FacilitationRequested(
            **fields,
            justification="Workshop training for six mechanics",
            requires_approval=True,
            requested_by="am-1",
            requested_at=utcnow(),
        ),
        facilitation_id,
    )
    [item] = await inbox.items(callers["kam"])
    assert item["kind"] == "facilitation_approval"
    assert item["resource_url"] == f"/v1/facilitations/{facilitation_id}"
    assert await inbox.items(callers["other_kam"]) == []
    assert await inbox.items(callers["dm"]) == []

    granted = {**fields, "status": "granted", "facilitation_version": 2}
    await sources.send(
        con.FacilitationGranted(
            **granted, granted_by="kam-1", granted_at=utcnow(), automatic=False
        ),
        facilitation_id,
    )
    [done] = await inbox.items(callers["kam"])
    assert (done["state"], done["done_by"]) == ("done", "kam-1")


async def test_a_plan_to_approve_and_a_resource_request_wait_for_the_district_manager(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    plan = sources.plan(account_id)
    await sources.send(plans.PlanSubmitted(plan=plan, submitted_by="am-1"), plan.plan_id)
    request = sources.resource_request(None)
    await sources.send(
        plans.ResourceRequestMade(request=request, justification="Two demo days"),
        request.request_id,
    )

    assert sorted(await inbox.kinds(callers["dm"])) == ["plan_approval", "resource_request"]
    # The key account manager may approve the plan of a key account, not the resources.
    assert await inbox.kinds(callers["kam"]) == ["plan_approval"]
    assert await inbox.items(callers["other_dm"]) == []

    approved = plan.model_copy(update={"status": "approved", "plan_version": 3})
    await sources.send(plans.PlanApproved(plan=approved, approved_by="kam-1"), plan.plan_id)
    decided = request.model_copy(update={"status": "approved", "approved_amount": Decimal(1500)})
    await sources.send(
        plans.ResourceRequestDecided(request=decided, decided_by="dm-north"),
        request.request_id,
    )
    states = {i["kind"]: (i["state"], i["done_by"]) for i in await inbox.items(callers["dm"])}
    assert states == {
        "plan_approval": ("done", "kam-1"),
        "resource_request": ("done", "dm-north"),
    }


async def test_a_case_assigned_is_the_assignees_until_resolved(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    case = sources.case(account_id, assignee_id="am-1", version=2)
    await sources.send(acc.CaseAssigned(case=case, assigned_by="dm-north"), case.case_id)
    [item] = await inbox.items(callers["am"])
    assert item["kind"] == "case_assigned"
    assert await inbox.items(callers["other_am"]) == []

    resolved = case.model_copy(update={"status": "resolved", "version": 3})
    await sources.send(
        acc.CaseStatusChanged(case=resolved, previous_status="open", changed_by="am-1"),
        case.case_id,
    )
    [done] = await inbox.items(callers["am"])
    assert done["state"] == "done"


async def test_an_argument_submitted_waits_for_central_until_validated_or_sent_back(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    argument = sources.argument()
    subject = argument.argument_id
    submitted = mi.ArgumentSubmitted(
        argument=argument, submitted_by="dm-north", submitted_at=utcnow()
    )
    await sources.send(submitted, subject)

    [item] = await inbox.items(callers["central"])
    assert (item["kind"], item["category"], item["state"]) == (
        "argument_validation",
        "decision",
        "unread",
    )
    assert item["resource_url"] == f"/v1/arguments/{subject}"
    assert "Lower cost per kilometre" in item["title"] and "long haul" in item["title"]
    assert item["reason"] == "Central validates the selling arguments"
    # The field never gets it, not even its author (a district manager), nor operators.
    for other in ("am", "other_am", "dm", "other_dm", "kam", "other_kam", "admin"):
        assert await inbox.items(callers[other]) == [], other
    counts = await inbox.get("/v1/inbox/counts", callers["central"])
    assert counts == {"total": 1, "by_kind": {"argument_validation": 1}}

    # The same submission again (published twice, redelivered past the consumer's inbox).
    await sources.send(submitted, subject)
    assert [i["id"] for i in await inbox.items(callers["central"])] == [item["id"]]

    # Another member of central sends it back: done for everyone.
    await sources.send(
        mi.ArgumentSentBack(argument=argument, sent_back_by="central-2", sent_back_at=utcnow()),
        subject,
    )
    [sent_back] = await inbox.items(callers["central"])
    assert (sent_back["state"], sent_back["done_by"]) == ("done", "central-2")

    # Rewritten and submitted again: it waits again, until validated.
    rewritten = argument.model_copy(update={"argument_version": 2})
    await sources.send(
        mi.ArgumentSubmitted(argument=rewritten, submitted_by="dm-north", submitted_at=utcnow()),
        subject,
    )
    waiting, _ = await inbox.holding(callers["central"], 2)
    assert (waiting["state"], waiting["id"] != item["id"]) == ("unread", True)
    await sources.send(
        mi.ArgumentValidated(argument=rewritten, validated_by="central-1", validated_at=utcnow()),
        subject,
    )
    states = [(i["state"], i["done_by"]) for i in await inbox.items(callers["central"])]
    assert states == [("done", "central-1"), ("done", "central-2")]
    assert await inbox.get("/v1/inbox/counts", callers["central"]) == {"total": 0, "by_kind": {}}


async def test_argument_events_redelivered_out_of_order_leave_nothing_waiting_wrongly(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    # The validation arrives before the submission it decides (the submission redelivered
    # after it): done, and the late submission opens nothing.
    argument = sources.argument()
    submitted_at = utcnow()
    validated = mi.ArgumentValidated(
        argument=argument, validated_by="central-2", validated_at=utcnow()
    )
    await sources.send(validated, argument.argument_id)
    late = mi.ArgumentSubmitted(
        argument=argument, submitted_by="dm-north", submitted_at=submitted_at
    )
    await sources.send(late, argument.argument_id)
    [item] = await inbox.items(callers["central"])
    assert (item["kind"], item["state"], item["done_by"]) == (
        "argument_validation",
        "done",
        "central-2",
    )

    # Sent back, submitted again, and then the old send-back comes again: the new submission
    # still waits.
    other = sources.argument()
    first = utcnow()
    await sources.send(
        mi.ArgumentSubmitted(argument=other, submitted_by="dm-north", submitted_at=first),
        other.argument_id,
    )
    sent_back = mi.ArgumentSentBack(argument=other, sent_back_by="central-1", sent_back_at=utcnow())
    await sources.send(sent_back, other.argument_id)
    await sources.send(
        mi.ArgumentSubmitted(argument=other, submitted_by="dm-north", submitted_at=utcnow()),
        other.argument_id,
    )
    await sources.send(sent_back, other.argument_id)
    waiting = await inbox.items(callers["central"], state="unread")
    assert [i["resource_url"] for i in waiting] == [f"/v1/arguments/{other.argument_id}"]
