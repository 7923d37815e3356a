from __future__ import annotations

from typing import Any

import httpx

from tread_shared.testing.event_stream import EventStream
from tread_shared.testing.http import Caller, assert_problem

HEADER = (
    "code,kind,brand,range,name,width,aspect_ratio,rim,load_index,speed_index,usage_types,"
    "status,list_price,currency,territory,valid_from,valid_to\n"
)
GOOD = [
    "TR-315/80R22.5-XMD,tyre,Tread,X Multi,X Multi D,315,80,22.5,156/150,L,long_haul;regional,"
    "active,2150.00,CNY,,2026-01-01,",
    "TR-315/80R22.5-XMD,tyre,Tread,X Multi,X Multi D,315,80,22.5,156/150,L,long_haul;regional,"
    "active,2080.00,CNY,north,2026-01-01,",
    "TR-295/80R22.5-XZA,tyre,Tread,X Line,X Line Z,295,80,22.5,152/148,M,long_haul,"
    "active,1890.00,CNY,,2026-01-01,",
    "SV-FLEET-AUDIT,service,Tread,,Fleet tyre audit,,,,,,,active,500.00,CNY,,2026-01-01,",
]
BAD = [
    "TR-BAD-WIDTH,tyre,Tread,X Multi,Too wide,3150,80,22.5,,,long_haul,active,,,,,",
    "TR-BAD-PRICE,tyre,Tread,X Multi,Free,315,80,22.5,,,long_haul,active,0,CNY,,2026-01-01,",
    "TR-BAD-CURRENCY,tyre,Tread,X Multi,Odd,315,80,22.5,,,long_haul,active,10,XYZ,,2026-01-01,",
]


def csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


async def _import(
    client: httpx.AsyncClient, content: bytes, by: Caller, **params: str
) -> httpx.Response:
    return await client.post(
        "/v1/products/imports",
        content=content,
        params=params,
        headers=by.with_(**{"Content-Type": "text/csv"}),
    )


async def _codes(client: httpx.AsyncClient, by: Caller) -> list[str]:
    listed = await client.get("/v1/products", headers=by.headers)
    return sorted(p["code"] for p in listed.json()["items"])


async def test_a_good_file_builds_the_catalogue_and_its_prices_once(
    client: httpx.AsyncClient, callers: dict[str, Caller], events: EventStream
) -> None:
    central = callers["central"]
    answer = await _import(client, csv(*GOOD), central)
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["rows"], report["applied_rows"]) == (4, 4)
    assert (report["products_created"], report["prices_set"]) == (3, 4)
    assert report["errors"] == [] and report["replayed"] is False
    assert await _codes(client, central) == [
        "SV-FLEET-AUDIT",
        "TR-295/80R22.5-XZA",
        "TR-315/80R22.5-XMD",
    ]
    await events.wait_for("tread.market-intel.product.created.v1", 3)
    await events.wait_for("tread.market-intel.price_list.changed.v1", 4)

    again = await _import(client, csv(*GOOD), central)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == report["id"] and again.json()["replayed"] is True
    fetched = await client.get(again.headers["Location"], headers=central.headers)
    assert fetched.json()["products_created"] == 3

    # A new file that repeats the catalogue changes only what differs.
    changed = GOOD[2].replace("X Line Z", "X Line Z2")
    second = await _import(client, csv(GOOD[0], changed), central)
    assert second.json()["products_changed"] == 1
    assert second.json()["prices_set"] == 0
    (event,) = await events.wait_for("tread.market-intel.product.changed.v1")
    assert event["data"]["changed_fields"] == ["name"]
    assert len(await events.of_type("tread.market-intel.product.created.v1")) == 3


async def test_any_bad_row_refuses_the_whole_file_with_every_error(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    central = callers["central"]
    answer = await _import(client, csv(*GOOD, *BAD), central)
    problem = assert_problem(answer, 422, "import-refused")
    assert [(e["row"], e["column"]) for e in problem["row_errors"]] == [
        (6, "width"),
        (7, "list_price"),
        (8, "currency"),
    ]
    assert await _codes(client, central) == []


async def test_valid_rows_mode_applies_the_good_rows_and_reports_the_rest(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    central = callers["central"]
    answer = await _import(client, csv(*GOOD, *BAD), central, mode="valid_rows")
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["rows"], report["applied_rows"]) == (7, 4)
    assert [e["row"] for e in report["errors"]] == [6, 7, 8]
    assert len(await _codes(client, central)) == 3


async def test_files_that_cannot_be_read_are_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller], market: Any
) -> None:
    central = callers["central"]
    await market.product("TR-SERVICE-CLASH")
    no_header = await _import(client, b"code,colour\nX,red\n", central)
    problem = assert_problem(no_header, 422, "invalid-csv-header")
    assert problem["unknown_columns"] == ["colour"]
    assert "kind" in problem["missing_columns"]
    assert_problem(await _import(client, b"\xff\xfe\x00", central), 422, "invalid-csv")
    assert_problem(await _import(client, HEADER.encode(), central), 422, "empty-import")
    clash = "TR-SERVICE-CLASH,service,Tread,,Now a service,,,,,,,active,,,,,"
    kind = assert_problem(await _import(client, csv(clash), central), 422, "import-refused")
    assert kind["row_errors"][0]["column"] == "kind"
    conflicting = GOOD[1].replace("X Multi D", "Other name")
    twice = assert_problem(await _import(client, csv(GOOD[0], conflicting), central), 422)
    assert twice["row_errors"][0]["row"] == 3
    too_many = csv(GOOD[0] + ",extra")
    assert_problem(await _import(client, too_many, central), 422, "import-refused")
    refused = await _import(client, csv(*GOOD), callers["dm"])
    assert_problem(refused, 403)
    assert await _codes(client, central) == ["TR-SERVICE-CLASH"]


async def test_control_characters_in_a_file_are_refused_and_change_nothing(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    # What the fuzzer sent (a 500 before): a body of control characters, in both modes.
    central = callers["central"]
    for mode in ("all_or_nothing", "valid_rows"):
        garbage = await _import(client, b"\x00\x1b\x07", central, mode=mode)
        assert_problem(garbage, 422, "invalid-csv")
        nul_in_row = csv(GOOD[0].replace("Tread", "Tr\x00ead"))
        problem = assert_problem(await _import(client, nul_in_row, central, mode=mode), 422)
        assert problem["line"] == 2
    assert await _codes(client, central) == []


async def test_a_6_mb_file_is_imported_while_6_mb_elsewhere_is_refused(
    client: httpx.AsyncClient, callers: dict[str, Caller]
) -> None:
    """The import's own body cap (16 MiB) is above the 1 MB of every other path: a file of
    50,000 products is about 6 MB. Blank lines (which CSV skips) bring 2,000 products to 6 MB,
    so that the test checks the cap, not the import's speed."""
    central = callers["central"]
    rows = [
        f"TR-BIG-{n:05d},tyre,Tread,Big,Big {n},315,80,22.5,156/150,L,long_haul,"
        f"active,{1500 + n}.00,CNY,,2026-01-01,"
        for n in range(2000)
    ]
    content = csv(*rows)
    content += b"\n" * (6 * 1024 * 1024 - len(content))
    answer = await _import(client, content, central)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["products_created"], answer.json()["prices_set"]) == (2000, 2000)

    elsewhere = await client.post(
        "/v1/products",
        content=b" " * (6 * 1024 * 1024),
        headers=central.with_(**{"Content-Type": "application/json"}),
    )
    assert_problem(elsewhere, 413)
    too_large = await _import(client, content + b"\n" * (10 * 1024 * 1024 + 1), central)
    assert_problem(too_large, 413)
    assert "TR-BIG-00000" in await _codes(client, central)
