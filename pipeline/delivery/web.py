"""The HTTP routes beside the dashboard (Starlette, served by `st.App` on the same port as Streamlit).

- POST /delivery/unsubscribe/{token}: RFC 8058 one-click unsubscribe (mail clients' Unsubscribe button).
  A GET there (a person or a link scanner) only redirects to the dashboard's confirm page.
- GET /delivery/briefs.atom: the public feed of published briefs.
- GET /delivery/feed/{token}.atom: a reader's private feed.

The feed endpoints are plain functions, so Starlette runs them in its thread pool (the store is synchronous).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..config import get_settings
from ..store import Store, open_store
from . import links
from .atom import public_feed, reader_feed
from .readers import reader_by_token, unsubscribe

log = logging.getLogger(__name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"
ONE_CLICK = "List-Unsubscribe=One-Click"
FEED_CACHE_S = 300  # feed readers poll; let them and proxies keep a copy this long


def _store() -> Store:
    return open_store(get_settings().podbrief_db)


def _unknown() -> Response:
    return PlainTextResponse("This link is not valid (any more).", status_code=404)


async def unsubscribe_route(request: Request) -> Response:
    """POST with List-Unsubscribe=One-Click (RFC 8058): unsubscribe at once. GET: the confirm page, so scanners can't."""
    token = request.path_params["token"]
    if request.method != "POST":
        return RedirectResponse(links.unsubscribe_url(get_settings().podbrief_public_url, token), status_code=303)
    if ONE_CLICK.encode() not in await request.body():
        return PlainTextResponse(f"Send a POST with the body {ONE_CLICK} to unsubscribe.", status_code=400)
    reader = await run_in_threadpool(unsubscribe, _store(), token, how="one-click")
    if reader is None:
        return _unknown()
    return PlainTextResponse("You are unsubscribed. You will not get the brief again.")


def briefs_feed(request: Request) -> Response:
    """The public Atom feed of published briefs."""
    return Response(public_feed(_store()), media_type=ATOM_TYPE, headers={"Cache-Control": f"max-age={FEED_CACHE_S}"})


def private_feed(request: Request) -> Response:
    """A reader's private Atom feed, at their token's URL."""
    store = _store()
    reader = reader_by_token(store, request.path_params["token"])
    if reader is None or reader.status == "unsubscribed":
        return _unknown()
    return Response(reader_feed(store, reader), media_type=ATOM_TYPE,
                    headers={"Cache-Control": f"private, max-age={FEED_CACHE_S}"})


def routes() -> list[Route]:
    """The delivery routes for `st.App(..., routes=routes())`."""
    prefix = links.ROUTE_PREFIX
    return [
        Route(f"{prefix}/unsubscribe/{{token}}", unsubscribe_route, methods=["GET", "POST"]),
        Route(links.PUBLIC_FEED, briefs_feed, methods=["GET"]),
        Route(f"{prefix}/feed/{{token}}.atom", private_feed, methods=["GET"]),
    ]
