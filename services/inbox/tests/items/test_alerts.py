"""Alerts: each reaches the people of the account's portfolio or territory (or the one person
it is about), nobody outside it, and only when the change is one worth telling."""

from __future__ import annotations

from typing import Any

from tread_shared.clock import utcnow
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import actionplans as plans
from tread_shared.events.payloads import contracts as con
from tread_shared.testing.http import Caller

EVERYONE = ("am", "other_am", "dm", "other_dm", "kam", "other_kam", "central", "admin")


async def reached(inbox: Any, callers: dict[str, Caller], kind: str) -> set[str]:
    """Which of the test callers have an item of ``kind``."""
    return {name for name in EVERYONE if kind in await inbox.kinds(callers[name])}


async def test_an_escalated_case_reaches_the_portfolio_and_the_territory(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open(name="Huadong Tyres")
    case = sources.case(account_id, version=4, escalated_at=utcnow())
    await sources.send(acc.CaseEscalated(case=case), case.case_id)
    assert await reached(inbox, callers, "case_escalated") == {"am", "kam", "dm"}
    [item] = await inbox.items(callers["dm"])
    assert item["category"] == "alert"
    assert item["resource_url"] == f"/v1/cases/{case.case_id}"
    assert "Huadong Tyres" in item["title"]


async def test_a_credit_block_reaches_the_accounts_managers_once_when_it_starts(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)
    # Still blocked: nothing new to tell. Unblocked: nothing to tell either.
    await sources.send(sources.credit(account_id, blocked=True, previous=True), account_id)
    await sources.send(sources.credit(account_id, blocked=False, previous=True), account_id)
    assert await reached(inbox, callers, "credit_blocked") == {"am", "kam"}
    assert len(await inbox.items(callers["am"])) == 1


async def test_a_renewal_due_reaches_the_portfolio_and_the_territory(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    contract = sources.contract(account_id)
    payload = con.ContractRenewalDue(
        contract=contract, window_days=90, days_left=88, noticed_at=utcnow()
    )
    await sources.send(payload, contract.contract_id)
    # The 30-day window of the same term: the same thing to do, no second item.
    later = payload.model_copy(update={"window_days": 30, "days_left": 29})
    await sources.send(later, contract.contract_id)
    assert await reached(inbox, callers, "renewal_due") == {"am", "kam", "dm"}
    [item] = await inbox.items(callers["am"])
    assert "Premium partners" in item["title"] and "88 days" in item["title"]


async def test_compliance_turning_at_risk_is_told_and_staying_there_is_not(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    await sources.send(sources.compliance(account_id, "on_track", "met"), account_id)
    await sources.send(sources.compliance(account_id, "at_risk", "on_track"), account_id)
    await sources.send(sources.compliance(account_id, "at_risk", "at_risk"), account_id)
    await sources.send(sources.compliance(account_id, "missed", "at_risk"), account_id)
    titles = [item["title"] for item in await inbox.items(callers["kam"])]
    assert len(titles) == 2
    assert "missed its commitments" in titles[0] and "is at risk" in titles[1]
    assert await reached(inbox, callers, "compliance_at_risk") == {"am", "kam", "dm"}


async def test_a_deviation_and_an_overdue_action_reach_the_plans_owner(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    deviation = sources.deviation(account_id)
    await sources.send(plans.DeviationOpened(deviation=deviation), deviation.deviation_id)
    action = sources.action(account_id)
    await sources.send(
        plans.CorrectiveActionOverdue(action=action, days_overdue=3), action.action_id
    )
    assert await reached(inbox, callers, "deviation_opened") == {"am"}
    assert await reached(inbox, callers, "action_overdue") == {"am"}
    urls = {item["kind"]: item["resource_url"] for item in await inbox.items(callers["am"])}
    assert urls == {
        "deviation_opened": f"/v1/deviations/{deviation.deviation_id}",
        "action_overdue": f"/v1/corrective-actions/{action.action_id}",
    }


async def test_a_digest_reaches_its_subscriber_only(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    digest = sources.digest("central-1")
    await sources.send(digest, digest.digest_id)
    assert await reached(inbox, callers, "digest_issued") == {"central"}
    [item] = await inbox.items(callers["central"])
    assert item["resource_url"] == digest.path


async def test_items_follow_their_account_to_its_new_manager(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    account_id = await sources.open()
    await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)
    await sources.reassign(account_id, "am-2")
    assert await inbox.items(callers["am"]) == []
    assert await inbox.kinds(callers["other_am"]) == ["credit_blocked"]


async def test_an_item_about_an_account_unknown_here_reaches_nobody_yet(
    sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    entry = sources.entry()
    await sources.send(sources.credit(entry.account_id, blocked=True, previous=False))
    assert await inbox.items(callers["am"]) == []
    # The account's creation arrives late: the item appears.
    await sources.send(acc.AccountCreated(account=entry), entry.account_id)
    assert await inbox.kinds(callers["am"]) == ["credit_blocked"]
