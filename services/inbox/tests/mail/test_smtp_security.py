"""Mail through an SMTP server that demands STARTTLS and a login, as a company relay does
(aiosmtpd on 127.0.0.1, its certificate signed by a CA made by the test): sent with the right
credentials over AUTH PLAIN or LOGIN; a wrong password, a server without the CA trusted or a
client that skips STARTTLS is a failure recorded and retried, never a crash nor a mail lost."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fastapi import FastAPI
from pydantic import SecretStr

from tread_inbox.mail.sender import send_due_mails
from tread_shared.clock import utcnow
from tread_shared.testing.http import Caller
from tread_shared.testing.nats_server import free_port

USER, PASSWORD = "tread-inbox", "s3cret relay password"


@dataclass
class Certificates:
    ca_file: Path
    server_cert: Path
    server_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path) -> Certificates:
    """A CA and a server certificate for 127.0.0.1 signed by it, as PEM files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Tread test CA"))
        .issuer_name(_name("Tread test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    found = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    found.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    found.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.server_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


class Relay:
    """The SMTP server's side: the mails it accepted and the logins it was offered."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, str, bool]] = []  # mechanism, user, accepted

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        accepted = (user, password) == (USER, PASSWORD)
        self.logins.append((mechanism, user, accepted))
        return AuthResult(success=accepted, handled=False)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture(params=["PLAIN", "LOGIN"])
def mechanism(request: pytest.FixtureRequest) -> str:
    mechanism: str = request.param
    return mechanism


@pytest.fixture
def relay(smtp_port: int, certificates: Certificates, mechanism: str) -> Iterator[Relay]:
    """A relay that takes nothing before STARTTLS, nor any mail before a login, and offers
    only ``mechanism`` to log in."""
    relay = Relay()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certificates.server_cert, certificates.server_key)
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=smtp_port,
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=relay.authenticate,
        auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m != mechanism],
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


@pytest.fixture
def settings_overrides(smtp_port: int, certificates: Certificates) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_starttls": True,
        "smtp_ca_file": str(certificates.ca_file),
        "smtp_username": USER,
        "smtp_password": PASSWORD,
        "mail_retry_seconds": 60.0,
    }


async def a_mail_waits(client: httpx.AsyncClient, sources: Any, am: Caller) -> None:
    body = {
        "email": "lucas@example.com",
        "default": "off",
        "kinds": {"credit_blocked": "immediate"},
    }
    answer = await client.put("/v1/inbox/preferences", json=body, headers=am.headers)
    assert answer.status_code == 200, answer.text
    account_id = await sources.open(name="Huadong Tyres")
    await sources.send(sources.credit(account_id, blocked=True, previous=False), account_id)


async def send(app: FastAPI, settings: Any, at: Any) -> dict[str, int]:
    return await send_due_mails(app.state.runtime.db, settings, at)


async def test_a_mail_goes_over_starttls_after_a_login(
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    callers: dict[str, Caller],
    relay: Relay,
    mechanism: str,
) -> None:
    await a_mail_waits(client, sources, callers["am"])
    assert await send(app, settings, utcnow()) == {"sent": 1, "failed": 0}
    [message] = relay.messages
    assert message["To"] == "lucas@example.com" and "Huadong Tyres" in message["Subject"]
    assert relay.logins == [(mechanism, USER, True)]


async def test_a_wrong_password_is_recorded_and_retried_until_it_is_put_right(
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    callers: dict[str, Caller],
    relay: Relay,
    mechanism: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await a_mail_waits(client, sources, callers["am"])
    wrong = settings.model_copy(update={"smtp_password": SecretStr("last year's password")})
    now = utcnow()
    with caplog.at_level(logging.WARNING, logger="tread_inbox.mail.sender"):
        assert await send(app, wrong, now) == {"sent": 0, "failed": 1}
    assert "to lucas@example.com not sent: SMTPAuthenticationError" in caplog.text
    assert relay.messages == [] and relay.logins == [(mechanism, USER, False)]
    # Not again before its time; then, the password put right, sent once.
    assert await send(app, wrong, now + dt.timedelta(seconds=30)) == {"sent": 0, "failed": 0}
    assert await send(app, settings, now + dt.timedelta(seconds=61)) == {"sent": 1, "failed": 0}
    assert await send(app, settings, now + dt.timedelta(seconds=200)) == {"sent": 0, "failed": 0}
    assert [m["To"] for m in relay.messages] == ["lucas@example.com"]


@pytest.mark.parametrize("mechanism", ["PLAIN"])
async def test_an_untrusted_certificate_or_no_starttls_sends_nothing_and_keeps_the_mail(
    app: FastAPI,
    settings: Any,
    client: httpx.AsyncClient,
    sources: Any,
    callers: dict[str, Caller],
    relay: Relay,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await a_mail_waits(client, sources, callers["am"])
    untrusted = settings.model_copy(update={"smtp_ca_file": None})
    in_clear = settings.model_copy(update={"smtp_starttls": False})
    now = utcnow()
    with caplog.at_level(logging.WARNING, logger="tread_inbox.mail.sender"):
        assert await send(app, untrusted, now) == {"sent": 0, "failed": 1}
        assert "SSLCertVerificationError" in caplog.text
        later = now + dt.timedelta(seconds=61)
        assert await send(app, in_clear, later) == {"sent": 0, "failed": 1}
    # Neither gave the password away: no login reached the relay.
    assert relay.messages == [] and relay.logins == []
    assert await send(app, settings, later + dt.timedelta(seconds=61)) == {"sent": 1, "failed": 0}
