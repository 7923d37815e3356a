"""Mails over a real SMTP server (aiosmtpd, started by the test on 127.0.0.1): an immediate
mail per item for whoever wants it, recorded first and sent once; a refusal retried later; a
daily digest of yesterday's items; without an SMTP host, the log."""

from __future__ import annotations

import email
import logging
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from tread_inbox.mail.sender import send_due_mails
from tread_inbox.mail.service import decide_digests
from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller
from tread_shared.testing.nats_server import free_port


class Mailbox:
    """The SMTP server's side: what it accepted, and how many times it should refuse first."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refusals = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusals > 0:
            self.refusals -= 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mailbox(smtp_port: int) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def settings_overrides(smtp_port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_starttls": False,
        "mail_retry_seconds": 60.0,
        "public_url": "https://tread.example",
    }


async def prefer(
    client: httpx.AsyncClient, caller: Caller, address: str, **kinds: str
) -> dict[str, Any]:
    body = {"email": address, "default": "off", "kinds": kinds}
    answer = await client.put("/v1/inbox/preferences", json=body, headers=caller.headers)
    assert answer.status_code == 200, answer.text
    preferences: dict[str, Any] = answer.json()
    return preferences


async def send(app: FastAPI, settings: Any, at: Any = None) -> dict[str, int]:
    return await send_due_mails(app.state.runtime.db, settings, at or utcnow())


async def test_an_immediate_mail_is_sent_once_in_text_and_html(
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    callers: dict[str, Caller],
    mailbox: Mailbox,
) -> None:
    await prefer(client, callers["dm"], "claire@example.com", offer_approval="immediate")
    await prefer(client, callers["other_dm"], "li@example.com", offer_approval="immediate")
    account_id = await sources.open(name="Huadong Tyres")
    offer_id = await sources.offer_submitted(account_id)

    assert await send(app, settings) == {"sent": 1, "failed": 0}
    assert await send(app, settings) == {"sent": 0, "failed": 0}
    [message] = mailbox.messages
    assert message["To"] == "claire@example.com"
    assert "Huadong Tyres" in message["Subject"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    link = f"https://tread.example/v1/offers/{offer_id}"
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()

    # Approved: nothing more to mail; nor for the same item decided again.
    await sources.offer_approved(account_id, offer_id, by="dm-north")
    assert await send(app, settings) == {"sent": 0, "failed": 0}
    assert len(mailbox.messages) == 1


async def test_a_refused_mail_is_tried_again_later_and_sent_once(
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    callers: dict[str, Caller],
    mailbox: Mailbox,
) -> None:
    await prefer(client, callers["am"], "lucas@example.com", credit_blocked="immediate")
    account_id = await sources.open()
    await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)
    mailbox.refusals = 1

    now = utcnow()
    assert await send(app, settings, now) == {"sent": 0, "failed": 1}
    # Not before its time comes again.
    assert await send(app, settings, now + timedelta(seconds=30)) == {"sent": 0, "failed": 0}
    assert await send(app, settings, now + timedelta(seconds=61)) == {"sent": 1, "failed": 0}
    assert await send(app, settings, now + timedelta(seconds=200)) == {"sent": 0, "failed": 0}
    assert [m["To"] for m in mailbox.messages] == ["lucas@example.com"]


async def test_a_daily_digest_collects_yesterdays_items_once(
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    callers: dict[str, Caller],
    mailbox: Mailbox,
) -> None:
    await prefer(client, callers["dm"], "claire@example.com", offer_approval="daily")
    account_id = await sources.open(name="Huadong Tyres")
    yesterday = utcnow() - timedelta(days=1)
    for _ in range(2):
        await sources.offer_submitted(account_id, submitted_at=yesterday)
    await sources.offer_submitted(account_id)  # today's: tomorrow's digest
    assert await send(app, settings) == {"sent": 0, "failed": 0}

    db = app.state.runtime.db
    morning = utcnow().replace(hour=7, minute=0)
    assert await decide_digests(db, morning.replace(hour=5), 6, settings.public_url) == 0
    assert await decide_digests(db, morning, 6, settings.public_url) == 1
    assert await decide_digests(db, morning, 6, settings.public_url) == 0
    assert await send(app, settings) == {"sent": 1, "failed": 0}
    [digest] = mailbox.messages
    text = digest.get_body(("plain",))
    assert text is not None
    assert f"{yesterday.date()}: 2 item(s)" in text.get_content()


async def test_without_an_smtp_host_mails_are_logged(
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    callers: dict[str, Caller],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await prefer(client, callers["kam"], "wang@example.com", credit_blocked="immediate")
    account_id = await sources.open()
    await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)
    unset = settings.model_copy(update={"smtp_host": None})
    with caplog.at_level(logging.INFO, logger="tread_inbox.mail.sender"):
        assert await send(app, unset) == {"sent": 1, "failed": 0}
    assert "mail (no SMTP host set) to wang@example.com" in caplog.text
