"""Account events applied a run at a time: the users concerned see what applying them one by
one shows them (the same pages, counts and changes; only no tombstone of an item they never
had), through the real consumer too; and an item made while a run applies keeps the account's
audience as the run leaves it."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from tread_inbox.directory.events import apply_account_events
from tread_inbox.items.service import ItemDraft, record_item
from tread_inbox.stream.repository import lock_changes
from tread_shared.auth.principal import Role
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.events.envelope import CloudEvent, nats_subject_for
from tread_shared.events.payloads import accounts as acc
from tread_shared.events.payloads.accounts import AccountDirectoryEntry
from tread_shared.testing.event_feed import account_event
from tread_shared.testing.http import Caller

# The users of one set of accounts, by the part they play (each set has its own, so that two
# sets in one database count apart).
USERS = ("am-1", "am-2", "kam-1", "kam-2", "dm-north", "dm-south")
Label = tuple[str, str]  # (the account's letter, the item's kind)


def at(entry: AccountDirectoryEntry, version: int, **changes: Any) -> AccountDirectoryEntry:
    return entry.model_copy(update={**changes, "version": version, "updated_at": utcnow()})


def moved(entry: AccountDirectoryEntry, version: int, owner_id: str) -> acc.AccountReassigned:
    return acc.AccountReassigned(
        account=at(entry, version, owner_id=owner_id),
        previous_owner_id=entry.owner_id,
        reason="portfolio",
        reassigned_by="dm",
    )


class AccountSet:
    """Six accounts and the users of their portfolio and territories, all named with
    ``prefix``; ``letters`` names each account by the part it plays."""

    def __init__(self, sources: Any, caller: Callable[..., Caller], prefix: str) -> None:
        self.sources = sources
        self.prefix = prefix
        self.users = {
            "am-1": caller("account_manager", sub=f"{prefix}am-1"),
            "am-2": caller("account_manager", sub=f"{prefix}am-2"),
            "kam-1": caller("key_account_manager", sub=f"{prefix}kam-1"),
            "kam-2": caller("key_account_manager", sub=f"{prefix}kam-2"),
            "dm-north": caller("district_manager", sub=f"{prefix}dm", territories=[self.north]),
            "dm-south": caller("district_manager", sub=f"{prefix}dm2", territories=[self.south]),
        }
        self.entries: dict[str, AccountDirectoryEntry] = {}
        self.letters: dict[str, str] = {}

    @property
    def north(self) -> str:
        return f"{self.prefix}north"

    @property
    def south(self) -> str:
        return f"{self.prefix}south"

    def entry(self, letter: str) -> AccountDirectoryEntry:
        entry: AccountDirectoryEntry = self.sources.entry(
            owner_id=f"{self.prefix}am-1",
            territory=self.north,
            key_account_manager_id=f"{self.prefix}kam-1",
        )
        self.entries[letter] = entry
        self.letters[str(entry.account_id)] = letter
        return entry

    async def prepare(self) -> None:
        """Through the consumer, one event at a time: X, Y, Z and W known with a credit block
        (X and Z an escalated case too), W at version 3; N unknown here, its credit block
        reaching nobody yet; M not even that."""
        s = self.sources
        for letter in "XYZW":
            entry = self.entry(letter)
            await s.publish(acc.AccountCreated(account=entry), entry.account_id)
        for letter in "XYZWN":
            account_id = (self.entries.get(letter) or self.entry(letter)).account_id
            await s.send(s.credit(account_id, blocked=True, previous=False), account_id)
        for letter in "XZ":
            case = s.case(self.entries[letter].account_id, escalated_at=utcnow())
            await s.send(acc.CaseEscalated(case=case), case.case_id)
        w = self.entries["W"]
        for version in (2, 3):
            renamed = at(w, version, name=f"{w.name} ({version})")
            renaming = acc.AccountUpdated(account=renamed, changed_fields=["name"])
            await s.publish(renaming, w.account_id)
        self.entry("M")

    def run(self) -> list[CloudEvent]:
        """One run of account events, accounts interleaved: N created and moved at once; X
        moved, then renamed; Z moved south, then an older version of it; Y deleted; M created;
        W's version 2 after its version 3."""
        x, y, z, w, n, m = (self.entries[letter] for letter in "XYZWNM")
        am_2 = f"{self.prefix}am-2"
        return [
            account_event(acc.AccountCreated(account=n)),
            account_event(moved(x, 2, am_2)),
            account_event(
                acc.AccountUpdated(account=at(z, 3, territory=self.south), changed_fields=[])
            ),
            account_event(moved(n, 2, am_2)),
            account_event(acc.AccountDeleted(account=at(y, 2))),
            account_event(moved(z, 2, am_2)),
            account_event(acc.AccountCreated(account=m)),
            account_event(moved(w, 2, am_2)),
            account_event(
                acc.AccountUpdated(account=at(x, 3, owner_id=am_2, name="X"), changed_fields=[])
            ),
        ]


class Seen:
    """What each user of a set sees: their page, their counts, and the changes since a time
    (tombstones marked), items named by account letter and kind."""

    def __init__(self, inbox: Any, accounts: AccountSet) -> None:
        self.inbox = inbox
        self.accounts = accounts
        self.labels: dict[str, Label] = {}  # item id -> label, of every item ever seen

    async def page(self, user: str) -> list[Label]:
        items = await self.inbox.items(self.accounts.users[user], limit=100)
        for item in items:
            self.labels[item["id"]] = (self.accounts.letters[item["account_id"]], item["kind"])
        return sorted(self.labels[item["id"]] for item in items)

    async def pages(self) -> dict[str, list[Label]]:
        return {user: await self.page(user) for user in USERS}

    async def counts(self) -> dict[str, Any]:
        return {
            user: await self.inbox.get("/v1/inbox/counts", self.accounts.users[user])
            for user in USERS
        }

    async def changes(self, since: datetime) -> dict[str, list[tuple[Label, bool]]]:
        """Each user's changes since ``since``: (label, whether a tombstone)."""
        changes = {}
        for user in USERS:
            page = await self.inbox.get(
                "/v1/inbox", self.accounts.users[user], updated_since=since.isoformat(), limit=100
            )
            changes[user] = sorted(
                (self.labels[item["id"]], item.get("deleted", False)) for item in page["items"]
            )
        return changes


async def applied_one_by_one(db: Database, events: Sequence[CloudEvent]) -> None:
    for stream_seq, event in enumerate(events, start=1):
        async with db.unit_of_work() as session:
            await apply_account_events(session, [(event, stream_seq)])


async def applied_at_once(db: Database, events: Sequence[CloudEvent]) -> None:
    async with db.unit_of_work() as session:
        await apply_account_events(session, [(e, seq) for seq, e in enumerate(events, start=1)])


CREDIT, CASE = "credit_blocked", "case_escalated"
# What the run leaves each user: their page, and their changes since it began beside what
# they saw moving (every item of X and N, Z's case) or going (Y's, and X's for its first
# owner).
EXPECTED_PAGES = {
    "am-1": [("W", CREDIT), ("Z", CASE), ("Z", CREDIT)],
    "am-2": [("N", CREDIT), ("X", CASE), ("X", CREDIT)],
    "kam-1": [
        ("N", CREDIT),
        ("W", CREDIT),
        ("X", CASE),
        ("X", CREDIT),
        ("Z", CASE),
        ("Z", CREDIT),
    ],
    "kam-2": [],
    "dm-north": [("X", CASE)],
    "dm-south": [("Z", CASE)],
}
EXPECTED_TOMBSTONES = {
    "am-1": [("X", CASE), ("X", CREDIT), ("Y", CREDIT)],
    "am-2": [],
    "kam-1": [("Y", CREDIT)],
    "kam-2": [],
    "dm-north": [("Z", CASE)],
    "dm-south": [],
}


def counts_of(page: list[Label]) -> dict[str, Any]:
    by_kind = Counter(kind for _letter, kind in page)
    return {"total": len(page), "by_kind": dict(by_kind)}


async def test_a_run_applied_at_once_shows_users_what_one_event_at_a_time_does(
    app: FastAPI, sources: Any, inbox: Any, caller: Callable[..., Caller]
) -> None:
    db = app.state.runtime.db
    one_by_one, at_once = AccountSet(sources, caller, "a-"), AccountSet(sources, caller, "b-")
    seen = {one_by_one: Seen(inbox, one_by_one), at_once: Seen(inbox, at_once)}
    before = {}
    for accounts in (one_by_one, at_once):
        await accounts.prepare()
        before[accounts] = await seen[accounts].pages()
    assert before[one_by_one] == before[at_once]
    assert before[at_once]["am-2"] == [] and len(before[at_once]["am-1"]) == 6
    start = utcnow()

    await applied_one_by_one(db, one_by_one.run())
    await applied_at_once(db, at_once.run())

    pages = {accounts: await seen[accounts].pages() for accounts in (one_by_one, at_once)}
    assert pages[at_once] == EXPECTED_PAGES
    assert pages[one_by_one] == pages[at_once]
    counts = await seen[at_once].counts()
    assert counts == {user: counts_of(page) for user, page in EXPECTED_PAGES.items()}
    assert await seen[one_by_one].counts() == counts

    changes = {accounts: await seen[accounts].changes(start) for accounts in (one_by_one, at_once)}
    for user in USERS:
        had = set(before[at_once][user])
        tombstones = [label for label, deleted in changes[at_once][user] if deleted]
        assert tombstones == EXPECTED_TOMBSTONES[user], user
        arrived = [label for label, deleted in changes[at_once][user] if not deleted]
        assert arrived == [label for label in pages[at_once][user] if label[0] in "XNZ"], user
        # One by one, the same changes, and besides them only the tombstone of an item the
        # user never had: N's credit block, gone from N's first owner, an audience that
        # lasted one event of the run.
        extra = Counter(changes[one_by_one][user]) - Counter(changes[at_once][user])
        assert not Counter(changes[at_once][user]) - Counter(changes[one_by_one][user]), user
        assert all(deleted and label not in had for label, deleted in extra), user
        assert list(extra) == ([(("N", CREDIT), True)] if user == "am-1" else []), user


async def test_a_run_through_the_consumer(
    app: FastAPI, sources: Any, inbox: Any, caller: Callable[..., Caller]
) -> None:
    runtime = app.state.runtime
    consumer = runtime.consumers[0]
    accounts = AccountSet(sources, caller, "c-")
    seen = Seen(inbox, accounts)
    await accounts.prepare()
    assert len((await seen.pages())["am-1"]) == 6
    start = utcnow()
    # The handler the consumer calls, counting the events of each call.
    runs: list[int] = []
    handlers = consumer.spec.batch_handlers

    async def counted(session: Any, events: Sequence[tuple[CloudEvent, int]]) -> None:
        runs.append(len(events))
        await apply_account_events(session, events)

    assert len({id(handler) for handler in handlers.values()}) == 1
    consumer.spec.batch_handlers = dict.fromkeys(handlers, counted)

    # The change counter held meanwhile: the consumer takes a new account's creation first and
    # waits for the counter with it; the run, published meanwhile, arrives behind it and is
    # applied in one call.
    js = await runtime.broker.wait_ready()
    stream, durable = sources.settings.nats_stream, consumer.durable
    subject_root = sources.settings.nats_subject_root

    async def publish(event: CloudEvent, held: int) -> int:
        ack = await js.publish(
            nats_subject_for(event.type, subject_root), event.model_dump_json().encode()
        )
        for _ in range(400):  # until the consumer holds ``held`` events, none acknowledged
            info = await js.consumer_info(stream, durable)
            if info.num_pending == 0 and info.num_ack_pending >= held:
                break
            await asyncio.sleep(0.025)
        return int(ack.seq)

    events = accounts.run()
    async with runtime.db.unit_of_work() as session:
        await lock_changes(session)
        await publish(account_event(acc.AccountCreated(account=accounts.entry("G"))), 1)
        await asyncio.sleep(0.1)  # the consumer's loop takes it, and waits for the counter
        for held, event in enumerate(events, start=2):
            last = await publish(event, held)
    for _ in range(800):
        if consumer.last_stream_seq >= last:
            break
        await asyncio.sleep(0.025)
    assert consumer.last_stream_seq >= last
    assert runs == [1, len(events)]

    assert await seen.pages() == EXPECTED_PAGES
    counts = {user: counts_of(page) for user, page in EXPECTED_PAGES.items()}
    assert await seen.counts() == counts
    changes = await seen.changes(start)
    assert {
        user: [label for label, deleted in found if deleted] for user, found in changes.items()
    } == EXPECTED_TOMBSTONES


async def test_an_item_made_while_its_account_is_created_reaches_the_accounts_audience(
    app: FastAPI, settings: Any, sources: Any, inbox: Any, callers: dict[str, Caller]
) -> None:
    db = app.state.runtime.db
    # A first item, elsewhere: the change counter exists (the migration makes it; a test's
    # emptied database makes it with its first change).
    digest = sources.digest("central-1")
    await sources.send(digest, digest.digest_id)
    entry = sources.entry()
    draft = ItemDraft(
        key=f"test:{uuid.uuid4()}",
        kind="credit_blocked",
        title="Credit blocked",
        reason="The account is in your portfolio",
        resource_type="account",
        resource_id=entry.account_id,
        resource_url=f"/v1/accounts/{entry.account_id}",
        since=utcnow(),
        account_id=entry.account_id,
        roles=frozenset({Role.ACCOUNT_MANAGER}),
    )
    # The item is made by one transaction (it finds no entry of the account) while another
    # applies the account's creation: the creation waits for the item, then takes it along.
    async with db.unit_of_work() as session:
        assert await record_item(session, draft, settings.public_url) is not None
        creation = asyncio.create_task(
            applied_at_once(db, [account_event(acc.AccountCreated(account=entry))])
        )
        done, _ = await asyncio.wait([creation], timeout=0.5)
        assert not done, "the account's creation did not wait for the item being made"
    await creation
    [item] = await inbox.items(callers["am"])
    assert item["account_id"] == str(entry.account_id)
    assert await inbox.get("/v1/inbox/counts", callers["am"]) == {
        "total": 1,
        "by_kind": {"credit_blocked": 1},
    }
