"""The links in what readers are sent: one-click unsubscribe, the confirm page, thumbs, and the Atom feeds.

The Starlette routes (web.py) live under ROUTE_PREFIX; the landing page is the dashboard's `reader` page,
which needs no sign-in: the reader's secret token in the link is the proof.
"""

from __future__ import annotations

from urllib.parse import urlencode

ROUTE_PREFIX = "/delivery"
LANDING_PAGE = "reader"  # the dashboard page's url_path
PUBLIC_FEED = f"{ROUTE_PREFIX}/briefs.atom"


def _base(public_url: str) -> str:
    return public_url.rstrip("/")


def one_click_url(public_url: str, token: str) -> str:
    """The List-Unsubscribe URL: a POST there unsubscribes at once (RFC 8058); a GET opens the confirm page."""
    return f"{_base(public_url)}{ROUTE_PREFIX}/unsubscribe/{token}"


def landing_url(public_url: str, token: str, **params: str) -> str:
    """The dashboard page a reader's link opens (unsubscribe confirmation, or a thumb)."""
    return f"{_base(public_url)}/{LANDING_PAGE}?{urlencode({'token': token, **params})}"


def unsubscribe_url(public_url: str, token: str) -> str:
    """The visible unsubscribe link: a page with a confirm button, so link scanners unsubscribe nobody."""
    return landing_url(public_url, token, action="unsubscribe")


def vote_url(public_url: str, token: str, insight_id: str, vote: str, date: str) -> str:
    """A thumbs up or down link for one item."""
    return landing_url(public_url, token, action="vote", insight=insight_id, vote=vote, date=date)


def reader_feed_url(public_url: str, token: str) -> str:
    """The reader's private Atom feed of their personal briefs."""
    return f"{_base(public_url)}{ROUTE_PREFIX}/feed/{token}.atom"


def public_feed_url(public_url: str) -> str:
    """The public Atom feed of published briefs."""
    return f"{_base(public_url)}{PUBLIC_FEED}"
