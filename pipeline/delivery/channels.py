"""Chat and webhook channels through Apprise (Slack, Discord, Teams, ntfy, Telegram, a JSON webhook...).

A channel URL carries its service's token, so it is stored with the reader but shown and recorded only as a
label: the service and a short hash of the URL.
"""

from __future__ import annotations

import hashlib
import logging
from types import ModuleType

from ..errors import DeliveryError
from .failures import TemporaryFailure

log = logging.getLogger(__name__)

TIMEOUT_S = 30


def _apprise() -> ModuleType:
    import apprise  # lazily: Apprise loads its service plugins on import

    return apprise


def check_channel(url: str) -> None:
    """Refuse a URL Apprise does not understand, with the list of what it takes."""
    if _apprise().Apprise.instantiate(url, suppress_exceptions=True) is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise DeliveryError(f"A channel starting {scheme + '://'!r} is not one Apprise knows. Use e.g. "
                            "slack://..., discord://..., msteams://..., ntfy://..., tgram://... or json://host/path "
                            "(see https://github.com/caronc/apprise/wiki).")


def channel_label(url: str) -> str:
    """A label for a channel that does not reveal its token: e.g. `slack:3f2a9c0d`."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else "channel"
    return f"{scheme}:{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def post(url: str, title: str, markdown: str) -> str:
    """Send a brief (Markdown) to one channel; Apprise converts it to the service's format. Returns its label."""
    apprise = _apprise()
    hub = apprise.Apprise()
    label = channel_label(url)
    if not hub.add(url):
        raise DeliveryError(f"The channel {label} is not a URL Apprise knows; fix it on the Readers page.")
    result = hub.notify(body=markdown, title=title, body_format=apprise.NotifyFormat.MARKDOWN, timeout=TIMEOUT_S)
    if not result:
        messages = [entry.message for service in result for attempt in service.attempts for entry in attempt.logs]
        reason = messages[-1] if messages else f"status {result.status.name}"
        raise TemporaryFailure(f"The channel {label} did not take the brief: {reason}")
    return label
