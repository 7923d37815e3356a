"""The contract lifecycle through HTTP: each step in order, and every step out of order
refused with 409 and nothing changed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem


async def _state(client: httpx.AsyncClient, contract_id: str, by: Caller) -> dict[str, Any]:
    response = await client.get(f"/v1/contracts/{contract_id}", headers=by.headers)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    state["etag"] = response.headers["etag"]
    return state


async def test_draft_to_active_with_both_signatures(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    draft = await partnerships.draft(account_id, program)
    assert draft["status"] == "draft"
    assert draft["program_version"] == 1
    assert draft["rebate_pct"] == "2.5"
    am, dm = callers["am"], callers["dm"]

    submitted = await partnerships.post(f"/v1/contracts/{draft['id']}/submit", None, am, 200)
    assert submitted["status"] == "submitted"
    assert submitted["awaiting_signature_of"] == "customer"
    signed = await partnerships.sign(draft["id"], "customer", am)
    assert signed["status"] == "signed"
    assert signed["awaiting_signature_of"] == "manufacturer"
    active = await partnerships.sign(draft["id"], "manufacturer", dm)
    assert active["status"] == "active"
    assert active["activated_at"] is not None
    assert [s["party"] for s in active["signatures"]] == ["customer", "manufacturer"]
    assert active["signatures"][0]["signer_name"] == "Li Wei"
    assert active["signatures"][0]["document_sha256"] == "a" * 64

    subject = {"where": lambda e: e["subject"] == draft["id"]}
    for verb in ("created", "submitted", "activated"):
        (event,) = await events.wait_for(f"tread.contracts.contract.{verb}.v1", **subject)
    assert event["data"]["contract"]["status"] == "active"
    assert event["data"]["contract"]["account_id"] == str(account_id)
    assert event["data"]["contract"]["program_version"] == 1
    signatures = await events.wait_for("tread.contracts.contract.signed.v1", 2, **subject)
    assert [e["data"]["signature"]["party"] for e in signatures] == ["customer", "manufacturer"]
    versions = [
        e["data"]["contract"]["contract_version"]
        for e in await events.of_type("tread.contracts.contract")
        if e["subject"] == draft["id"]
    ]
    assert versions == sorted(versions) and versions[0] == 1


async def test_steps_out_of_order_are_refused_and_change_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    draft = await partnerships.draft(account_id, program)
    contract_id = draft["id"]
    am, dm = callers["am"], callers["dm"]

    async def refused(step: str, body: Any, by: Caller, slug: str) -> None:
        before = await _state(client, contract_id, by)
        answer = await client.post(
            f"/v1/contracts/{contract_id}/{step}", json=body, headers=by.headers
        )
        assert_problem(answer, 409, slug)
        assert await _state(client, contract_id, by) == before

    customer = {
        "party": "customer",
        "signer_name": "Li Wei",
        "signer_role": "owner",
        "method": "e-signature",
        "document_sha256": "a" * 64,
    }
    manufacturer = {**customer, "party": "manufacturer", "signer_name": "Zhang Min"}
    # A draft is signed by no one.
    await refused("sign", customer, am, "illegal-transition")
    await refused("sign", manufacturer, dm, "illegal-transition")
    await refused("renew", {}, am, "illegal-transition")

    await partnerships.post(f"/v1/contracts/{contract_id}/submit", None, am, 200)
    await refused("submit", None, am, "illegal-transition")
    # The manufacturer never signs first.
    await refused("sign", manufacturer, dm, "customer-signs-first")

    await partnerships.sign(contract_id, "customer", am)
    await refused("sign", customer, am, "already-signed")
    await refused("sign", {**manufacturer, "document_sha256": "b" * 64}, dm, "document-mismatch")

    await partnerships.sign(contract_id, "manufacturer", dm)
    await refused("sign", manufacturer, dm, "already-signed")
    await refused("sign", customer, am, "already-signed")
    await refused("submit", None, am, "illegal-transition")

    await partnerships.post(
        f"/v1/contracts/{contract_id}/terminate", {"reason": "Dealer sold"}, dm, 200
    )
    await refused("terminate", {"reason": "again"}, dm, "illegal-transition")
    await refused("renew", {}, am, "illegal-transition")
    await refused("submit", None, am, "illegal-transition")


async def test_an_account_manager_signs_for_the_customer_only(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    draft = await partnerships.draft(account_id, program)
    am = callers["am"]
    await partnerships.post(f"/v1/contracts/{draft['id']}/submit", None, am, 200)
    await partnerships.sign(draft["id"], "customer", am)
    own_countersignature = await client.post(
        f"/v1/contracts/{draft['id']}/sign",
        json={
            "party": "manufacturer",
            "signer_name": "Me",
            "signer_role": "am",
            "method": "e-signature",
            "document_sha256": "a" * 64,
        },
        headers=am.headers,
    )
    assert_problem(own_countersignature, 403)
    assert (await _state(client, draft["id"], am))["status"] == "signed"
    by_kam = await partnerships.sign(draft["id"], "manufacturer", callers["kam"])
    assert by_kam["status"] == "active"


async def test_one_active_contract_per_account_and_program(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    other_program = await partnerships.program()
    first = await partnerships.active_contract(account_id, program)
    second = await partnerships.draft(account_id, program, tier="silver")
    am, dm = callers["am"], callers["dm"]
    await partnerships.post(f"/v1/contracts/{second['id']}/submit", None, am, 200)
    await partnerships.sign(second["id"], "customer", am)
    refused = await partnerships.sign(second["id"], "manufacturer", dm, status=409)
    assert refused["type"] == "urn:tread:problem:active-contract-exists"
    assert first["id"] in refused["detail"]
    assert (await _state(client, second["id"], am))["status"] == "signed"
    # Another program is another partnership.
    elsewhere = await partnerships.active_contract(account_id, other_program)
    assert elsewhere["status"] == "active"
    # Once the first ends, the second may start.
    await partnerships.post(
        f"/v1/contracts/{first['id']}/terminate", {"reason": "Downgrade"}, dm, 200
    )
    activated = await partnerships.sign(second["id"], "manufacturer", dm)
    assert activated["status"] == "active"


async def test_a_renewal_signed_early_takes_over_the_day_after_the_current_one_ends(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    current = await partnerships.active_contract(account_id, program)
    am = callers["am"]
    renewal = await partnerships.post(f"/v1/contracts/{current['id']}/renew", {}, am)
    year = int(current["start_date"][:4])
    assert renewal["status"] == "draft"
    assert renewal["renews_contract_id"] == current["id"]
    assert (renewal["start_date"], renewal["end_date"]) == (
        f"{year + 1}-01-01",
        f"{year + 1}-12-31",
    )
    (commitment,) = renewal["commitments"]
    assert (commitment["kind"], commitment["period"], commitment["quantity"]) == (
        "volume",
        str(year + 1),
        6000,
    )
    again = await client.post(f"/v1/contracts/{current['id']}/renew", json={}, headers=am.headers)
    assert_problem(again, 409, "renewal-exists")
    still = await _state(client, current["id"], am)
    assert still["status"] == "active" and still["renewal_contract_id"] == renewal["id"]

    # Signed by both in the notice window: the renewal waits for its start date, the current
    # contract stays in force to its end.
    scheduled = await partnerships.activate(renewal)
    assert scheduled["status"] == "scheduled"
    assert scheduled["activated_at"] is None
    assert (await _state(client, current["id"], am))["status"] == "active"
    on_last_day = await partnerships.run_daily_work(date(year, 12, 31))
    assert on_last_day["contracts_activated"] == 0
    assert (await _state(client, current["id"], am))["status"] == "active"

    on_first_day = await partnerships.run_daily_work(date(year + 1, 1, 1))
    assert on_first_day["contracts_activated"] == 1
    assert on_first_day["contracts_expired"] == 0
    old = await _state(client, current["id"], am)
    assert old["status"] == "renewed"
    assert (await _state(client, renewal["id"], am))["status"] == "active"
    (renewed,) = await events.wait_for("tread.contracts.contract.renewed.v1")
    assert renewed["subject"] == current["id"]
    assert renewed["data"]["renewed_by_contract_id"] == renewal["id"]
    assert renewed["data"]["contract"]["status"] == "renewed"
    (activated,) = await events.wait_for(
        "tread.contracts.contract.activated.v1", where=lambda e: e["subject"] == renewal["id"]
    )
    assert activated["data"]["contract"]["status"] == "active"
    active = await client.get(
        "/v1/contracts",
        params={"account_id": str(account_id), "status": "active"},
        headers=am.headers,
    )
    assert [c["id"] for c in active.json()["items"]] == [renewal["id"]]


async def test_an_abandoned_renewal_frees_the_contract_to_renew_again(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    current = await partnerships.active_contract(account_id, program)
    am = callers["am"]
    renewal = await partnerships.post(
        f"/v1/contracts/{current['id']}/renew", {"tier": "silver"}, am
    )
    assert renewal["tier"] == "silver"
    await partnerships.post(
        f"/v1/contracts/{renewal['id']}/terminate", {"reason": "Renegotiating"}, am, 200
    )
    assert (await _state(client, current["id"], am))["renewal_contract_id"] is None
    second = await partnerships.post(f"/v1/contracts/{current['id']}/renew", {}, am)
    assert second["tier"] == "gold"


async def test_termination_of_an_active_contract_is_a_managers_decision(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    active = await partnerships.active_contract(account_id, program)
    am, dm = callers["am"], callers["dm"]
    by_am = await client.post(
        f"/v1/contracts/{active['id']}/terminate", json={"reason": "x"}, headers=am.headers
    )
    assert_problem(by_am, 403)
    no_reason = await client.post(
        f"/v1/contracts/{active['id']}/terminate", json={"reason": "  "}, headers=dm.headers
    )
    assert_problem(no_reason, 422)
    ended = await partnerships.post(
        f"/v1/contracts/{active['id']}/terminate", {"reason": "Credit blocked"}, dm, 200
    )
    assert ended["status"] == "terminated"
    assert ended["termination_reason"] == "Credit blocked"
    (event,) = await events.wait_for("tread.contracts.contract.terminated.v1")
    assert event["data"]["previous_status"] == "active"
    assert event["data"]["reason"] == "Credit blocked"
    # A draft may be withdrawn by the account manager.
    draft = await partnerships.draft(account_id, program)
    withdrawn = await partnerships.post(
        f"/v1/contracts/{draft['id']}/terminate", {"reason": "Customer withdrew"}, am, 200
    )
    assert withdrawn["status"] == "terminated"


async def test_a_contract_keeps_the_program_version_it_was_signed_under(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    contract = await partnerships.active_contract(account_id, program)
    draft = await partnerships.draft(await accounts.open(), program)
    am = callers["am"]
    assert (await _state(client, draft["id"], am))["rebate_pct"] == "2.5"
    central = callers["central"]
    etag = (await client.get(f"/v1/programs/{program['id']}", headers=central.headers)).headers[
        "etag"
    ]
    richer = [
        {**program["tiers"][0], "rebate_pct": "4", "min_scores": {"LP1": 90}},
        program["tiers"][1],
    ]
    published = await client.put(
        f"/v1/programs/{program['id']}",
        json={"name": program["name"], "tiers": richer},
        headers=central.with_(**{"If-Match": etag}),
    )
    assert published.json()["version"] == 2
    kept = await _state(client, contract["id"], callers["am"])
    assert kept["program_version"] == 1 and kept["rebate_pct"] == "2.5"
    # A new draft is written under the new version.
    later = await partnerships.draft(await accounts.open(), program)
    assert later["program_version"] == 2 and later["rebate_pct"] == "4"
    # Each read answers its own version's terms, whichever was read before it.
    assert (await _state(client, contract["id"], am))["rebate_pct"] == "2.5"
    # A draft amended after the publication moves to the new version, and its terms with it.
    amended = await client.patch(
        f"/v1/contracts/{draft['id']}",
        json={"terms": "Net 60"},
        headers=am.with_(**{"If-Match": (await _state(client, draft["id"], am))["etag"]}),
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["program_version"] == 2 and amended.json()["rebate_pct"] == "4"
    assert (await _state(client, draft["id"], am))["rebate_pct"] == "4"


async def test_a_draft_can_be_amended_with_if_match_only(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    draft = await partnerships.draft(account_id, program)
    am = callers["am"]
    url = f"/v1/contracts/{draft['id']}"
    etag = (await _state(client, draft["id"], am))["etag"]
    assert_problem(await client.patch(url, json={"tier": "silver"}, headers=am.headers), 428)
    amended = await client.patch(
        url, json={"tier": "silver", "terms": "Net 60"}, headers=am.with_(**{"If-Match": etag})
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["tier"] == "silver" and amended.json()["terms"] == "Net 60"
    stale = await client.patch(url, json={"tier": "gold"}, headers=am.with_(**{"If-Match": etag}))
    assert_problem(stale, 412)
    (event,) = await events.wait_for("tread.contracts.contract.amended.v1")
    assert event["data"]["changed_fields"] == ["terms", "tier"]

    await partnerships.post(f"{url}/submit", None, am, 200)
    fresh = (await _state(client, draft["id"], am))["etag"]
    frozen = await client.patch(url, json={"tier": "gold"}, headers=am.with_(**{"If-Match": fresh}))
    assert_problem(frozen, 409, "illegal-transition")


async def test_an_accepted_offer_seeds_a_contract_once(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    am = callers["am"]
    offer = await partnerships.offer(account_id)
    body = {
        "offer_id": offer["id"],
        "program_id": program["id"],
        "tier": "gold",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
    }
    not_yet = await client.post("/v1/contracts", json=body, headers=am.headers)
    assert_problem(not_yet, 409, "offer-not-accepted")
    await partnerships.post(f"/v1/offers/{offer['id']}/accept", None, am, 200)
    contract = await partnerships.post("/v1/contracts", body, am)
    assert contract["account_id"] == str(account_id)
    assert contract["offer_id"] == offer["id"]
    (commitment,) = contract["commitments"]
    assert (commitment["kind"], commitment["period"], commitment["quantity"]) == (
        "volume",
        "2027",
        100,
    )
    twice = await client.post("/v1/contracts", json=body, headers=am.headers)
    assert_problem(twice, 409, "offer-already-used")


async def test_bad_contracts_are_refused(
    client: httpx.AsyncClient,
    callers: dict[str, Caller],
    accounts: Any,
    partnerships: Any,
    events: EventStream,
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    am = callers["am"].headers
    unknown = "0193e0a0-0000-7000-8000-000000000000"
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({"account_id": unknown}, 422, "unknown-account"),
        ({"program_id": unknown}, 422, "unknown-program"),
        ({"tier": "platinum"}, 422, "unknown-tier"),
        ({"start_date": "2027-12-31", "end_date": "2027-01-01"}, 422, "validation-error"),
        ({"commitments": [{"kind": "volume", "period": "2027", "quantity": -10}]}, 422, None),
        (
            {"commitments": [{"kind": "volume", "period": "2031", "quantity": 10}]},
            422,
            "commitment-outside-period",
        ),
        ({"commitments": [{"kind": "volume", "period": "2027-13", "quantity": 10}]}, 422, None),
        ({"commitments": [{"kind": "audit_score", "criterion": "LP1"}]}, 422, None),
        ({"offer_id": unknown}, 422, "unknown-offer"),
    ]
    for change, status, slug in cases:
        body = {**partnerships.contract_body(account_id, program), **change}
        response = await client.post("/v1/contracts", json=body, headers=am)
        assert_problem(response, status, slug)
    contract = await partnerships.draft(account_id, program)
    await partnerships.post(f"/v1/contracts/{contract['id']}/submit", None, callers["am"], 200)
    bad_hash = await client.post(
        f"/v1/contracts/{contract['id']}/sign",
        json={
            "party": "customer",
            "signer_name": "Li Wei",
            "signer_role": "owner",
            "method": "e-signature",
            "document_sha256": "not-a-hash",
        },
        headers=am,
    )
    assert_problem(bad_hash, 422)
    assert (await _state(client, contract["id"], callers["am"]))["status"] == "submitted"
    listed = await client.get("/v1/contracts", headers=am)
    assert [c["id"] for c in listed.json()["items"]] == [contract["id"]]
    await events.wait_for("tread.contracts.contract.submitted.v1")
    assert len(await events.of_type("tread.contracts.contract.created.v1")) == 1


async def test_two_signatures_of_one_party_at_once_leave_one(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    import asyncio

    account_id = await accounts.open()
    draft = await partnerships.draft(account_id, await partnerships.program())
    am = callers["am"]
    await partnerships.post(f"/v1/contracts/{draft['id']}/submit", None, am, 200)
    body = {
        "party": "customer",
        "signer_name": "Li Wei",
        "signer_role": "owner",
        "method": "e-signature",
        "document_sha256": "a" * 64,
    }
    answers = await asyncio.gather(
        *(
            client.post(f"/v1/contracts/{draft['id']}/sign", json=body, headers=am.headers)
            for _ in range(3)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    for answer in answers:
        if answer.status_code == 409:
            assert_problem(answer, 409)
    signatures = (await _state(client, draft["id"], am))["signatures"]
    assert [s["party"] for s in signatures] == ["customer"]


async def test_lists_page_and_give_changes_since(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    drafts = [await partnerships.draft(account_id, program) for _ in range(3)]
    am = callers["am"]
    first = await client.get("/v1/contracts", params={"limit": 2}, headers=am.headers)
    second = await client.get(
        "/v1/contracts",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=am.headers,
    )
    paged = [c["id"] for c in first.json()["items"] + second.json()["items"]]
    assert paged == [d["id"] for d in drafts]
    assert second.json()["next_cursor"] is None

    since = (await _state(client, drafts[2]["id"], am))["updated_at"]
    await partnerships.post(f"/v1/contracts/{drafts[0]['id']}/submit", None, am, 200)
    changed = await client.get("/v1/contracts", params={"updated_since": since}, headers=am.headers)
    assert [c["id"] for c in changed.json()["items"]] == [drafts[2]["id"], drafts[0]["id"]]
    bad_cursor = await client.get("/v1/contracts", params={"cursor": "nope"}, headers=am.headers)
    assert_problem(bad_cursor, 400)


async def test_a_retried_creation_with_the_same_idempotency_key_creates_once(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    body = partnerships.contract_body(account_id, program)
    headers = callers["am"].with_(**{"Idempotency-Key": "draft-42"})
    first = await client.post("/v1/contracts", json=body, headers=headers)
    again = await client.post("/v1/contracts", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    listed = await client.get("/v1/contracts", headers=callers["am"].headers)
    assert len(listed.json()["items"]) == 1


async def test_a_contract_read_answers_what_its_last_step_did_within_scope_only(
    client: httpx.AsyncClient, callers: dict[str, Caller], accounts: Any, partnerships: Any
) -> None:
    account_id = await accounts.open()
    program = await partnerships.program()
    draft = await partnerships.draft(account_id, program)
    am, dm = callers["am"], callers["dm"]
    read = await client.get(f"/v1/contracts/{draft['id']}", headers=am.headers)
    assert read.json() == draft and read.json()["signatures"] == []
    await partnerships.post(f"/v1/contracts/{draft['id']}/submit", None, am, 200)
    await partnerships.sign(draft["id"], "customer", am)
    signed = await client.post(
        f"/v1/contracts/{draft['id']}/sign",
        json=partnerships.signature("manufacturer"),
        headers=dm.headers,
    )
    assert signed.status_code == 200, signed.text
    for caller in (am, dm, callers["kam"], callers["central"]):
        read = await client.get(f"/v1/contracts/{draft['id']}", headers=caller.headers)
        assert read.status_code == 200, read.text
        assert read.content == signed.content
        assert read.headers["etag"] == signed.headers["etag"]
    assert [s["party"] for s in read.json()["signatures"]] == ["customer", "manufacturer"]

    unknown = await client.get(f"/v1/contracts/{uuid.uuid4()}", headers=am.headers)
    assert_problem(unknown, 404, "not-found")
    for caller in (callers["other_am"], callers["other_dm"], callers["other_kam"]):
        hidden = await client.get(f"/v1/contracts/{draft['id']}", headers=caller.headers)
        assert_problem(hidden, 404, "not-found")
        assert hidden.json()["detail"] == f"No contract {draft['id']}."
    # The account moves to another account manager: the contract moves with it.
    await accounts.reassign(account_id, "am-2")
    gone = await client.get(f"/v1/contracts/{draft['id']}", headers=am.headers)
    assert_problem(gone, 404, "not-found")
    moved = await client.get(f"/v1/contracts/{draft['id']}", headers=callers["other_am"].headers)
    assert moved.status_code == 200 and moved.content == signed.content
