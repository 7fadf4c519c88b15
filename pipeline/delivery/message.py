"""One email: multipart plain text + HTML, with a stable Message-ID and the RFC 8058 unsubscribe headers."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from ..errors import DeliveryError
from . import links, render
from .personal import PersonalBrief
from .readers import Reader


def message_id(email: str, date: str, channel: str, sender: str) -> str:
    """The same Message-ID for the same reader, date and channel, so a repeated send folds into one in mail clients."""
    digest = hashlib.sha256(f"{email}|{date}|{channel}".encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "podbrief.local"
    return f"<{digest}.brief@{domain}>"


def compose(brief: PersonalBrief, reader: Reader, *, sender: str, public_url: str, msg_id: str,
            to: str | None = None, test: bool = False) -> EmailMessage:
    """The email of a personal brief to its reader (or, for a test, to another address)."""
    if not parseaddr(sender)[1]:
        raise DeliveryError(f"PODBRIEF_MAIL_FROM={sender!r} has no address. Use e.g. 'Podbrief <brief@example.com>'.")
    view = render.brief_view(brief, public_url=public_url, token=reader.token, name=reader.name)
    message = EmailMessage()
    message["Subject"] = ("[Test] " if test else "") + render.subject(view)
    message["From"] = sender
    message["To"] = formataddr((" ".join(reader.name.split()), to or reader.email))
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = msg_id
    if not test:  # a mail client's Unsubscribe button on a test would unsubscribe the reader, not the tester
        message["List-Unsubscribe"] = f"<{links.one_click_url(public_url, reader.token)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["X-Podbrief-Date"] = brief.date  # also names the .eml folder when there is no SMTP server
    message.set_content(render.render_text(view))
    message.add_alternative(render.render_html(view), subtype="html")
    return message
