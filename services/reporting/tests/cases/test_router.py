from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller


async def test_open_cases_by_category_age_and_sla(
    client: httpx.AsyncClient, producers: Any, callers: dict[str, Caller]
) -> None:
    account_id = await producers.account()
    now = utcnow()
    await producers.case(account_id, category="credit", opened_at=now - timedelta(hours=2))
    await producers.case(
        account_id, category="credit", opened_at=now - timedelta(days=10), due_in=timedelta(days=2)
    )
    await producers.case(
        account_id,
        category="billing",
        opened_at=now - timedelta(days=40),
        due_in=timedelta(days=60),
    )
    done = await producers.case(account_id, category="supply")
    await producers.case_status(done, "resolved")
    elsewhere = await producers.account(owner_id="am-2", territory="south")
    await producers.case(elsewhere, category="quality")

    body = (await client.get("/v1/reports/cases", headers=callers["am"].headers)).json()

    by_category = {c["category"]: c for c in body["categories"]}
    assert set(by_category) == {"billing", "credit"}
    credit = by_category["credit"]
    assert credit["open"] == 2
    assert credit["breached"] == 1
    assert credit["by_age"] == {"0-2 days": 1, "3-7 days": 0, "8-30 days": 1, "over 30 days": 0}
    assert by_category["billing"]["by_age"]["over 30 days"] == 1
    assert by_category["billing"]["breached"] == 0
    assert body["open"] == 3
    assert body["breached"] == 1

    central = (await client.get("/v1/reports/cases", headers=callers["central"].headers)).json()
    assert central["open"] == 4
    only_quality = await client.get(
        "/v1/reports/cases", params={"category": "quality"}, headers=callers["central"].headers
    )
    assert [c["category"] for c in only_quality.json()["categories"]] == ["quality"]
