"""Mail transports: an SMTP server (smtp://, smtp+starttls://, smtps://) or, with none configured, .eml files.

The SMTP URL carries the password: it is only ever shown redacted. Every smtplib and socket error becomes a
failure class (failures.py) that says what went wrong and what to do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import DeliveryError
from .failures import PermanentFailure, ServerUnavailable, SetupFailure, TemporaryFailure

log = logging.getLogger(__name__)

SCHEMES = {"smtp": (25, False, False), "smtp+starttls": (587, True, False), "smtps": (465, False, True)}
SAFE_NAME = re.compile(r"[^A-Za-z0-9@._+-]")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server."""

    host: str
    port: int
    starttls: bool
    implicit_tls: bool
    user: str = ""
    password: str = field(default="", repr=False)

    @property
    def shown(self) -> str:
        """The server as it may be shown and logged: no password."""
        scheme = "smtps" if self.implicit_tls else "smtp+starttls" if self.starttls else "smtp"
        who = f"{self.user}:***@" if self.user else ""
        return f"{scheme}://{who}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpConfig:
    """An SMTP URL such as smtp+starttls://user:pass@host:587 as settings; a clear error (password hidden) otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise DeliveryError("PODBRIEF_SMTP_URL is not a valid URL. Use e.g. smtp+starttls://user:password@host:587 "
                            "(percent-encode special characters in the password).") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise DeliveryError(f"PODBRIEF_SMTP_URL must start with {', '.join(s + '://' for s in SCHEMES)} and name a host, "
                            "e.g. smtp+starttls://user:password@smtp.example.com:587.")
    default_port, starttls, implicit = SCHEMES[scheme]
    return SmtpConfig(parts.hostname, port or default_port, starttls, implicit, unquote(parts.username or ""),
                      unquote(parts.password or ""))


class SmtpMailer:
    """One SMTP connection reused for a run's messages; reconnects after a failure."""

    def __init__(self, config: SmtpConfig, *, timeout: float, ca_file: str = "") -> None:
        self.config = config
        self.timeout = timeout
        self.ca_file = ca_file
        self._conn: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        """Where messages go, for reports."""
        return self.config.shown

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            if cfg.implicit_tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout, context=self._tls())
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
                if cfg.starttls:
                    conn.starttls(context=self._tls())
            if cfg.user:
                conn.login(cfg.user, cfg.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise SetupFailure(f"The SMTP server {cfg.shown} refused the login ({_reply(exc)}). Check the user and "
                               "password in PODBRIEF_SMTP_URL.") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise SetupFailure(f"The SMTP server {cfg.shown} cannot do what PODBRIEF_SMTP_URL asks for "
                               f"({str(exc).rstrip('.')}). Check its scheme (smtp://, smtp+starttls:// or smtps://) "
                               "and whether the server wants a user and password.") from exc
        except ssl.SSLError as exc:
            raise SetupFailure(f"TLS with the SMTP server {cfg.shown} failed ({exc.reason or exc}). If it uses a private "
                               "certificate authority, set PODBRIEF_SMTP_CA_FILE to its certificate.") from exc
        except smtplib.SMTPResponseException as exc:
            kind = TemporaryFailure if 400 <= exc.smtp_code < 500 else SetupFailure
            raise kind(f"The SMTP server {cfg.shown} refused the connection ({_reply(exc)}).") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(f"Cannot reach the SMTP server {cfg.shown}: {exc or type(exc).__name__}. "
                                    "It will be retried; check that the server is up and PODBRIEF_SMTP_URL.") from exc
        return conn

    def send(self, message: EmailMessage, recipient: str, sender: str) -> str:
        """Send one message to one address; returns where it went. Raises a failure class on error."""
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, _ = exc.recipients.get(recipient, (550, b""))
            self._drop()
            raise _by_code(code, f"The SMTP server refused {recipient} ({_reply(exc, recipient)}).") from exc
        except smtplib.SMTPSenderRefused as exc:
            self._drop()
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"The SMTP server deferred the sender ({_reply(exc)}).") from exc
            raise SetupFailure(f"The SMTP server refused the sender address {sender} ({_reply(exc)}). "
                               "Set PODBRIEF_MAIL_FROM to an address it accepts.") from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise _by_code(exc.smtp_code, f"The SMTP server refused the message to {recipient} ({_reply(exc)}).") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TemporaryFailure(f"The connection to {self.config.shown} broke while sending to {recipient}: "
                                   f"{exc or type(exc).__name__}.") from exc
        return self.config.shown

    def _drop(self) -> None:
        """Forget the connection after a failure (the next message opens a fresh one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()


class FileMailer:
    """With no SMTP server configured: each message as an .eml file under the outbox folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @property
    def where(self) -> str:
        """Where messages go, for reports."""
        return str(self.folder)

    def send(self, message: EmailMessage, recipient: str, sender: str) -> str:
        """Write the message to <folder>/<date or test>/<address>.eml atomically; returns the path."""
        subfolder = SAFE_NAME.sub("_", str(message.get("X-Podbrief-Date") or "test"))
        path = self.folder / subfolder / f"{SAFE_NAME.sub('_', recipient)}.eml"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".eml.tmp")
            tmp.write_bytes(message.as_bytes())
            os.replace(tmp, path)
        except OSError as exc:
            raise SetupFailure(f"Cannot write {path}: {exc.strerror or exc}. Set PODBRIEF_OUTBOX_DIR to a folder "
                               "Podbrief can write, or configure PODBRIEF_SMTP_URL.") from exc
        return str(path)

    def close(self) -> None:
        """Nothing to close."""


def _reply(exc: smtplib.SMTPException, recipient: str | None = None) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = exc.recipients.get(recipient or "", (0, b""))
    else:
        code, text = getattr(exc, "smtp_code", 0), getattr(exc, "smtp_error", b"")
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}".strip()


def _by_code(code: int, message: str) -> DeliveryError:
    return TemporaryFailure(message) if 400 <= code < 500 else PermanentFailure(message)


def mailer_for(smtp_url: str, *, outbox_dir: str, timeout: float, ca_file: str = "") -> SmtpMailer | FileMailer:
    """The configured transport: the SMTP server when PODBRIEF_SMTP_URL is set, else .eml files."""
    if smtp_url.strip():
        return SmtpMailer(parse_smtp_url(smtp_url), timeout=timeout, ca_file=ca_file)
    return FileMailer(outbox_dir)
