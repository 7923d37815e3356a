from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads import contracts as con
from tread_shared.testing.documents import csv_tables, pdf_text
from tread_shared.testing.http import Caller, assert_problem


def this_month() -> str:
    return utcnow().strftime("%Y-%m")


async def test_the_monthly_report_tells_what_happened_to_partnerships(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    await producers.partnership_history()

    answer = await client.get(
        "/v1/reports/central", params={"period": this_month()}, headers=callers["central"].headers
    )

    assert answer.status_code == 200, answer.text
    report = answer.json()
    summary = report["summary"]
    assert report["period"] == this_month()
    assert report["title"].startswith("Central-office report")
    assert summary["contracts_signed"] == 4
    assert summary["contracts_renewed"] == 1
    assert summary["contracts_terminated"] == 1
    assert summary["partnerships_in_force"] == 4
    assert summary["audits"] == 1
    assert summary["audits_with_gaps"] == 1
    assert summary["facilitations_granted"] == 1
    assert summary["facilitations_rejected"] == 1
    assert summary["facilitations_spent"] == [{"amount": "300.00", "currency": "CNY"}]
    assert summary["cases_opened"] == 2
    assert summary["cases_resolved"] == 1
    assert summary["cases_open_at_end"] == 1
    assert summary["sell_in_units"] == 1500
    lines = {
        line["account_name"]: line for line in report["partnerships"] if line["tier"] == "gold"
    }
    signed_line = lines["Signed Dealer"]
    # 12,000 a year is 1,000 a month, for the days from its countersignature (today) on.
    today = utcnow().date()
    days = ((today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    in_force = days - today.day + 1
    assert signed_line["committed_units"] == round(Decimal(1000) * in_force / days)
    assert signed_line["sell_in_units"] == 1500
    assert signed_line["commitment_met"] is True
    assert signed_line["open_gaps"] == 1
    changes = sorted(c["change"] for c in report["contract_changes"])
    assert changes == ["renewed", "signed", "signed", "signed", "signed", "terminated"]
    assert report["as_of"]["sequence"] > 0
    assert answer.headers["Tread-As-Of-Sequence"] == str(report["as_of"]["sequence"])


async def test_the_report_as_csv_and_as_pdf(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    await producers.partnership_history()
    headers = callers["central"].headers
    params = {"period": this_month()}

    as_csv = await client.get(
        "/v1/reports/central", params=params, headers={**headers, "Accept": "text/csv"}
    )
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert f"central-report-{this_month()}.csv" in as_csv.headers["content-disposition"]
    tables = csv_tables(as_csv.content)
    rows = tables["Partnerships"]
    assert {row["account_name"] for row in rows} == {
        "Signed Dealer",
        "Ended Dealer",
        "Renewed Dealer",
    }
    assert {row["period"] for row in rows} == {this_month()}
    # The key figures and their subtotals travel with it, as in the JSON.
    figures = {row["figure"]: row["value"] for row in tables["Key figures"]}
    assert (figures["partnerships_in_force"], figures["cases_opened"]) == ("4", "2")
    assert figures["facilitations_spent"] == "300.00 CNY"
    north = {row["territory"]: row for row in tables["Key figures by territory"]}["north"]
    assert north["partnerships_in_force"] == "3"
    owners = {row["owner_id"]: row for row in tables["Key figures by account manager"]}
    assert (owners["am-1"]["partnerships_in_force"], owners["am-2"]["partnerships_in_force"]) == (
        "3",
        "1",
    )

    as_pdf = await client.get(
        "/v1/reports/central", params=params, headers={**headers, "Accept": "application/pdf"}
    )
    assert as_pdf.status_code == 200
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF-")
    text = pdf_text(as_pdf.content)
    for words in (
        "Central-office report",
        "Key figures",
        "Key figures by territory",
        "Key figures by account manager",
        "Contract changes in the period",
        "Partnerships in force by tier",
        "Signed Dealer",
        "closed shop",
    ):
        assert words in text, words
    assert as_pdf.content.count(b"/Type /Page\n") + as_pdf.content.count(b"/Type /Page ") >= 2

    by_query = await client.get(
        "/v1/reports/central", params={**params, "format": "csv"}, headers=headers
    )
    assert by_query.headers["content-type"].startswith("text/csv")


async def test_an_account_manager_reads_the_report_of_their_accounts_only(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    await producers.partnership_history()

    report = (
        await client.get(
            "/v1/reports/central",
            params={"period": this_month()},
            headers=callers["other_am"].headers,
        )
    ).json()

    assert {line["account_name"] for line in report["partnerships"]} == {"Ended Dealer"}
    assert report["summary"]["contracts_terminated"] == 1
    assert report["summary"]["cases_opened"] == 0


async def test_bad_periods_and_formats_are_problems(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    headers = callers["central"].headers
    for period in ("2026-13", "2026", "2026-Q5", "last month"):
        answer = await client.get("/v1/reports/central", params={"period": period}, headers=headers)
        assert_problem(answer, 422)
    assert_problem(await client.get("/v1/reports/central", headers=headers), 422)
    refused = await client.get(
        "/v1/reports/central",
        params={"period": "2026-11"},
        headers={**headers, "Accept": "image/png"},
    )
    assert_problem(refused, 406, "not-acceptable")
    quarter = await client.get(
        "/v1/reports/central",
        params={"period": "2026-Q4"},
        headers={**headers, "Accept": "text/html, application/json;q=0.5"},
    )
    assert quarter.status_code == 200
    assert quarter.json()["start"] == "2026-10-01"
    assert quarter.json()["end"] == "2026-12-31"


async def test_a_past_period_regenerated_after_later_events_gives_the_same_answer(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    first_of_month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (first_of_month - timedelta(days=1)).strftime("%Y-%m")
    during = first_of_month - timedelta(days=20)
    account_id = await producers.account(name="Steady Dealer")
    state = await producers.contract(account_id, start=during.date().replace(day=1))
    state = await producers.submit(state)
    state = await producers.sign(state, "customer", at=during)
    state = await producers.sign(state, "manufacturer", at=during)
    state = await producers.activate(state, at=during)
    await producers.compliance(state, "on_track", at=during + timedelta(days=1))
    await producers.credit(account_id, blocked=False, at=during + timedelta(days=2))

    async def report_of(period: str) -> dict[str, Any]:
        answer = await client.get(
            "/v1/reports/central", params={"period": period}, headers=callers["central"].headers
        )
        assert answer.status_code == 200, answer.text
        report: dict[str, Any] = answer.json()
        return report

    def figures(report: dict[str, Any]) -> Any:
        return (
            report["summary"],
            [
                (p["contract_id"], p["compliance"], p["credit_blocked"])
                for p in report["partnerships"]
            ],
        )

    before = await report_of(last_month)
    (line,) = before["partnerships"]
    assert (line["compliance"], line["credit_blocked"]) == ("on_track", False)

    # This month: the credit system blocks the dealer, compliance slips.
    await producers.credit(account_id, blocked=True)
    await producers.compliance(state, "at_risk")

    assert figures(await report_of(last_month)) == figures(before)
    (now,) = (await report_of(utcnow().strftime("%Y-%m")))["partnerships"]
    assert (now["compliance"], now["credit_blocked"]) == ("at_risk", True)


async def test_sell_in_against_commitment_counts_covered_lines_for_the_days_in_force(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    first_of_month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_day = (first_of_month - timedelta(days=1)).date()
    month = last_day.strftime("%Y-%m")
    starts = last_day.replace(day=16)
    account_id = await producers.account(name="Mid-month Dealer")
    state = await producers.contract(account_id, start=starts, end=date(starts.year, 12, 31))
    truck_commitment = con.Commitment(
        kind="volume", period=str(starts.year), quantity=12000, product_line="truck"
    )
    state = producers.next_state(state, commitments=[truck_commitment])
    state = await producers.submit(state)
    signed_at = datetime.combine(starts, time(9), UTC)
    state = await producers.sign(state, "customer", at=signed_at)
    state = await producers.sign(state, "manufacturer", at=signed_at)
    await producers.activate(state, at=signed_at)
    await producers.sell_in(account_id, month, 400, product_line="truck")
    await producers.sell_in(account_id, month, 300, product_line="farm")

    answer = await client.get(
        "/v1/reports/central", params={"period": month}, headers=callers["central"].headers
    )
    assert answer.status_code == 200, answer.text
    (line,) = answer.json()["partnerships"]
    # A month's share of the year (1,000), for the days in force from the 16th.
    in_force = last_day.day - 15
    assert line["committed_units"] == round(Decimal(1000) * in_force / last_day.day)
    # Farm tyres are not committed: only the truck line counts.
    assert line["sell_in_units"] == 400
    assert line["committed_units_year_to_date"] == line["committed_units"]
    assert line["sell_in_units_year_to_date"] == 400


async def test_key_figures_per_territory_and_account_manager_and_signed_apart_from_started(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    await producers.partnership_history()
    # Countersigned this month for next year: signed in the period, not started, not in force.
    later = await producers.account(name="Next Year Dealer", territory="east", owner_id="am-3")
    state = await producers.contract(
        later, start=date(utcnow().year + 1, 1, 1), end=date(utcnow().year + 1, 12, 31)
    )
    state = await producers.submit(state)
    state = await producers.sign(state, "customer")
    await producers.sign(producers.next_state(state, status="scheduled"), "manufacturer")

    answer = await client.get(
        "/v1/reports/central", params={"period": this_month()}, headers=callers["central"].headers
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    summary = report["summary"]
    assert (summary["contracts_signed"], summary["contracts_started"]) == (5, 4)
    assert summary["partnerships_in_force"] == 4
    territories = {s["key"]: s for s in report["by_territory"]}
    assert sorted(territories) == ["north", "south"]
    assert territories["north"]["partnerships_in_force"] == 3
    assert territories["south"]["partnerships_in_force"] == 1
    assert territories["north"]["sell_in_units"] == summary["sell_in_units"]
    owners = {s["key"]: s["partnerships_in_force"] for s in report["by_owner"]}
    assert owners == {"am-1": 3, "am-2": 1}
    for subtotals in (report["by_territory"], report["by_owner"]):
        assert sum(s["committed_units"] for s in subtotals) == summary["committed_units"]
        assert sum(s["cases_open_at_end"] for s in subtotals) == summary["cases_open_at_end"]


async def test_the_same_period_a_year_earlier_beside_on_request(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    now = utcnow()
    a_year_ago = now.replace(year=now.year - 1, day=10)
    account_id = await producers.account(name="Old Friend")
    state = await producers.contract(
        account_id, start=date(a_year_ago.year, 1, 1), end=date(a_year_ago.year, 12, 31)
    )
    state = await producers.submit(state)
    state = await producers.sign(state, "customer", at=a_year_ago)
    state = await producers.sign(state, "manufacturer", at=a_year_ago)
    await producers.activate(state, at=a_year_ago)
    await producers.sell_in(account_id, a_year_ago.strftime("%Y-%m"), 700)

    compared = await client.get(
        "/v1/reports/central",
        params={"period": this_month(), "compare": "year_earlier"},
        headers=callers["central"].headers,
    )
    assert compared.status_code == 200, compared.text
    report = compared.json()
    assert report["summary"]["partnerships_in_force"] == 0
    earlier = report["year_earlier"]
    assert (earlier["partnerships_in_force"], earlier["contracts_started"]) == (1, 1)
    assert earlier["sell_in_units"] == 700
    # Each subtotal has its year-earlier figures beside it; a territory with partnerships
    # only a year earlier is listed, with zeros now.
    (north,) = report["by_territory"]
    assert (north["key"], north["partnerships_in_force"]) == ("north", 0)
    assert north["year_earlier"]["partnerships_in_force"] == 1
    assert north["year_earlier"]["sell_in_units"] == 700
    (owner,) = report["by_owner"]
    assert (owner["key"], owner["year_earlier"]["partnerships_in_force"]) == ("am-1", 1)

    params = {"period": this_month(), "compare": "year_earlier"}
    as_csv = await client.get(
        "/v1/reports/central",
        params={**params, "format": "csv"},
        headers=callers["central"].headers,
    )
    tables = csv_tables(as_csv.content)
    figures = {row["figure"]: row for row in tables["Key figures"]}
    assert (figures["sell_in_units"]["value"], figures["sell_in_units"]["year_earlier"]) == (
        "0",
        "700",
    )
    (by_territory,) = tables["Key figures by territory"]
    assert by_territory["partnerships_in_force"] == "0"
    assert by_territory["year_earlier_partnerships_in_force"] == "1"
    assert by_territory["year_earlier_sell_in_units"] == "700"
    (by_owner,) = tables["Key figures by account manager"]
    assert (by_owner["owner_id"], by_owner["year_earlier_partnerships_in_force"]) == ("am-1", "1")
    as_pdf = await client.get(
        "/v1/reports/central",
        params={**params, "format": "pdf"},
        headers=callers["central"].headers,
    )
    text = pdf_text(as_pdf.content)
    for words in ("a year earlier: 1", "In brackets: the same period a year earlier", "0 (1)"):
        assert words in text, words
    plain = await client.get(
        "/v1/reports/central", params={"period": this_month()}, headers=callers["central"].headers
    )
    assert plain.json()["year_earlier"] is None
    bad = await client.get(
        "/v1/reports/central",
        params={"period": this_month(), "compare": "last_week"},
        headers=callers["central"].headers,
    )
    assert_problem(bad, 422)


async def test_open_cases_and_cases_past_sla_as_they_stood_at_the_period_end(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    first_of_month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = first_of_month
    last_month = (first_of_month - timedelta(days=1)).strftime("%Y-%m")
    during = (first_of_month - timedelta(days=1)).replace(day=10, hour=9)
    account_id = await producers.account(name="Casework Dealer")
    late = await producers.case(account_id, category="credit", opened_at=during)
    reopened = await producers.case(
        account_id, category="credit", opened_at=during, due_in=timedelta(days=40)
    )
    reopened = await producers.case_status(reopened, "resolved", at=during + timedelta(days=1))
    reopened = await producers.case_status(reopened, "in_progress", at=during + timedelta(days=2))
    billing = await producers.case(
        account_id, category="billing", opened_at=during, due_in=timedelta(days=40)
    )
    done = await producers.case(account_id, category="supply", opened_at=during)
    await producers.case_status(done, "resolved", at=during + timedelta(days=1))
    # As the cases API saw them at the month's end: unresolved, and overdue when due before it.
    at_end = [late, reopened, billing]
    unresolved = ("open", "in_progress", "waiting_customer")
    expected = {
        category: (
            sum(c.category == category and c.status in unresolved for c in at_end),
            sum(
                c.category == category and c.status in unresolved and c.due_at < end for c in at_end
            ),
        )
        for category in ("billing", "credit")
    }
    assert expected == {"billing": (1, 0), "credit": (2, 1)}

    async def cases_of(period: str) -> Any:
        answer = await client.get(
            "/v1/reports/central", params={"period": period}, headers=callers["central"].headers
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return (
            body["cases"],
            body["summary"]["cases_open_at_end"],
            body["summary"]["cases_breached"],
        )

    before = await cases_of(last_month)
    by_category = {c["category"]: c for c in before[0]}
    for category, (open_count, breached) in expected.items():
        assert (by_category[category]["open_at_end"], by_category[category]["breached"]) == (
            open_count,
            breached,
        ), category
    assert by_category["supply"]["resolved"] == 1
    assert before[1:] == (3, 1)

    # This month: two are resolved, and the billing case becomes an urgent quality case whose
    # new due date falls in last month.
    await producers.case_status(late, "resolved")
    await producers.case_status(reopened, "resolved")
    changed = billing.model_copy(
        update={
            "category": "quality",
            "priority": "urgent",
            "due_at": during + timedelta(days=1),
            "version": billing.version + 1,
            "updated_at": utcnow(),
        }
    )
    await producers.publish(
        acc.CaseUpdated(case=changed, changed_fields=["category", "priority"], changed_by="c-1"),
        changed.case_id,
    )

    assert await cases_of(last_month) == before
    now_cases, open_now, breached_now = await cases_of(utcnow().strftime("%Y-%m"))
    assert (open_now, breached_now) == (1, 1)
    assert [(c["category"], c["open_at_end"]) for c in now_cases if c["open_at_end"]] == [
        ("quality", 1)
    ]
