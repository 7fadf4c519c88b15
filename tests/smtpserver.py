"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd): STARTTLS with a self-signed certificate, AUTH, and
scripted refusals. Every accepted message is parsed and kept.

    def test_mail(smtp_server):
        settings = smtp_server.settings()                  # PODBRIEF_SMTP_URL etc. pointing at it
        smtp_server.refuse("rcpt", "421 4.7.0 Try again later")   # the next RCPT gets this reply
        ...
        assert smtp_server.messages[0].message["To"] == "ana@example.com"
        assert smtp_server.messages[0].tls and smtp_server.messages[0].login == "podbrief"
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
USER, PASSWORD = "podbrief", "p@ss:w/rd"  # characters that must be percent-encoded in the URL


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, written as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "podbrief-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                         x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: LocalSMTPServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server._next_reply("rcpt", address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.server._next_reply("data", envelope.rcpt_tos[0] if envelope.rcpt_tos else "")
        if reply:
            return reply
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.server._accept(Received(envelope.mail_from, list(envelope.rcpt_tos), message,  # type: ignore[arg-type]
                                     session.ssl is not None, login))
        return "250 Message accepted for delivery"


class LocalSMTPServer:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS and AUTH; replies can be scripted per command."""

    def __init__(self, folder: Path, *, implicit_tls: bool = False) -> None:
        import ssl

        self.cert, key = self_signed(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.port = free_port()
        self.implicit_tls = implicit_tls
        self.messages: list[Received] = []
        self._replies: dict[str, list[tuple[str | None, str]]] = {"rcpt": [], "data": []}
        self._lock = threading.Lock()
        # smtps:// is TLS from the first byte; smtp+starttls:// must upgrade before it may log in.
        tls = {"ssl_context": context, "auth_require_tls": False} if implicit_tls else \
            {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port, auth_required=True,
                                      authenticator=self._authenticate, **tls)
        self._controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
            and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def refuse(self, command: str, reply: str, *, times: int = 1, address: str | None = None) -> None:
        """Answer the next `times` RCPT or DATA commands (for `address`, or any) with `reply`, e.g. '550 5.1.1 No'."""
        with self._lock:
            self._replies[command] += [(address, reply)] * times

    def _next_reply(self, command: str, address: str) -> str | None:
        with self._lock:
            for n, (wanted, reply) in enumerate(self._replies[command]):
                if wanted in (None, address):
                    del self._replies[command][n]
                    return reply
        return None

    def _accept(self, received: Received) -> None:
        with self._lock:
            self.messages.append(received)

    def url(self, *, user: str = USER, password: str = PASSWORD) -> str:
        """PODBRIEF_SMTP_URL for this server (smtps:// or smtp+starttls://, credentials percent-encoded)."""
        from urllib.parse import quote

        scheme = "smtps" if self.implicit_tls else "smtp+starttls"
        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment that points Podbrief at this server."""
        return {"PODBRIEF_SMTP_URL": self.url(), "PODBRIEF_SMTP_CA_FILE": str(self.cert),
                "PODBRIEF_MAIL_FROM": "Podbrief <brief@podbrief.test>"}

    def received_by(self, address: str) -> list[Received]:
        """The messages accepted for one recipient."""
        with self._lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def close(self) -> None:
        """Stop the server (again: nothing)."""
        if self._controller._thread is not None:
            self._controller.stop()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[LocalSMTPServer]:
    """A fresh LocalSMTPServer for one test, stopped afterwards."""
    server = LocalSMTPServer(tmp_path)
    try:
        yield server
    finally:
        server.close()
