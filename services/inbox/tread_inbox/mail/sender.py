"""Sending the recorded mails over SMTP (host, port, STARTTLS, credentials from settings).

A sender claims due rows for a while (``claimed_until``) in a short transaction, sends each
outside any transaction, and records the outcome: sent, or failed with the error and the time of
the next attempt. A mail is marked sent only after the server took it; a crash between the two
would send it again after the claim expires, so each mail carries its row id as Message-ID for
the receiving side to drop the copy. Without an SMTP host the mail is written to the log."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from tread_inbox.mail import repository
from tread_inbox.mail.models import OutgoingMail
from tread_inbox.settings import Settings
from tread_shared.db.engine import Database

log = logging.getLogger(__name__)

BATCH = 50


def _message(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(idstring=str(mail.id), domain="tread.invalid")
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


def _send(message: EmailMessage, settings: Settings) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            ca_file = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
            smtp.starttls(context=ssl.create_default_context(cafile=ca_file))
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(message)


async def send_due_mails(db: Database, settings: Settings, now: datetime) -> dict[str, int]:
    """One pass: claim the due mails, send them, record each outcome."""
    hold = timedelta(seconds=settings.smtp_timeout_seconds * 3 + 30)
    async with db.unit_of_work() as session:
        claimed = list(await repository.due_mails(session, now, BATCH))
        for mail in claimed:
            mail.claimed_until = now + hold
        messages = [(mail.id, _message(mail, settings.mail_from)) for mail in claimed]
    outcome = {"sent": 0, "failed": 0}
    for mail_id, message in messages:
        error: str | None = None
        if settings.smtp_host is None:
            log.info(
                "mail (no SMTP host set) to %s: %s\n%s",
                message["To"],
                message["Subject"],
                message.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
            )
        else:
            try:
                await asyncio.to_thread(_send, message, settings)
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        async with db.unit_of_work() as session:
            row = await session.get(OutgoingMail, mail_id)
            assert row is not None
            row.attempts += 1
            row.claimed_until = None
            if error is None:
                row.state, row.sent_at, row.last_error = "sent", now, None
                outcome["sent"] += 1
            else:
                log.warning("mail %s to %s not sent: %s", mail_id, row.recipient, error)
                row.last_error = error
                row.state = "failed" if row.attempts >= settings.mail_max_attempts else "pending"
                row.next_attempt_at = now + timedelta(seconds=settings.mail_retry_seconds)
                outcome["failed"] += 1
    return outcome
